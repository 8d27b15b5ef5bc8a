using Microsoft.Extensions.Options;
using Panaptico.Connectors.Graph;
using Panaptico.Storage.Account;
using Panaptico.Storage.Teams;

namespace Panaptico.Functions.Teams;

/// <summary>
/// Teams: the bot endpoint's token check, the Bot Connector, the directory and the activity feed (through the app's
/// one Graph client, <see cref="GraphSetup"/>), the delivery log, and the delivery activities. Without
/// <c>Teams:BotAppId</c> the endpoint refuses every call and the delivery activities do nothing.
/// </summary>
public static class TeamsSetup
{
    public static IServiceCollection AddTeams(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TeamsOptions>().BindConfiguration(TeamsOptions.Section)
            .Validate(o => o.DirectoryCacheSize >= 1 && o.DirectoryCacheTtl > TimeSpan.Zero, "Teams:DirectoryCacheSize must be at least 1 and Teams:DirectoryCacheTtl positive")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<TeamsOptions>>().Value);
        services.AddHttpClient(nameof(TeamsSetup));
        services.AddSingleton(sp => new BotTokenValidator(sp.GetRequiredService<TeamsOptions>(), Http(sp)));
        services.AddSingleton(sp => new BotConnector(Http(sp), sp.GetRequiredService<TeamsOptions>(), sp.GetRequiredService<TimeProvider>()));
        services.AddMicrosoftGraph(configuration);
        services.AddSingleton<TeamsDirectory>();
        services.AddSingleton<DirectoryRouting>();
        services.AddSingleton<ActivityFeed>();
        services.AddSingleton(sp => new DeliveryLog(
            sp.GetRequiredService<StorageAccount>().Tables.GetTableClient(sp.GetRequiredService<StorageNames>().Table("teamsdeliveries")),
            sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<TeamsBootstrap>();
        return services;
    }

    private static HttpClient Http(IServiceProvider sp) => sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(TeamsSetup));
}

/// <summary>Creates the delivery log before an orchestration delivers.</summary>
public sealed class TeamsBootstrap(DeliveryLog log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => log.EnsureCreatedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
