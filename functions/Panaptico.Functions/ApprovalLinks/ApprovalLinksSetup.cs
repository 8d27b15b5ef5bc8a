using Microsoft.Extensions.Options;
using Panaptico.Core.Notifications;
using Panaptico.Storage.Account;
using Panaptico.Storage.Notifications;

namespace Panaptico.Functions.ApprovalLinks;

/// <summary>Settings under <c>ApprovalLinks:</c>.</summary>
public sealed record ApprovalLinkSettings
{
    /// <summary>How long a link stays usable after it is issued (never past its seat's own expiry).</summary>
    public TimeSpan Expiry { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The app's public address (<c>https://&lt;app&gt;.azurewebsites.net</c>) that links start with; without it a link is its path.</summary>
    public Uri? BaseUrl { get; init; }
}

/// <summary>
/// The signed approval link, for tenants without the Teams bot: issued per routed approver with each change's approval
/// request, opened at <c>GET /api/approve/{token}</c>, decided once with <c>POST</c>.
/// </summary>
public static class ApprovalLinksSetup
{
    public static IServiceCollection AddApprovalLinks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApprovalLinkSettings>().Bind(configuration.GetSection("ApprovalLinks"))
            .Validate(s => s.Expiry > TimeSpan.Zero, "ApprovalLinks:Expiry must be positive")
            .Validate(s => s.BaseUrl is null || s.BaseUrl.IsAbsoluteUri, "ApprovalLinks:BaseUrl must be an absolute URL")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ApprovalLinkSettings>>().Value);
        services.AddSingleton(sp => new ApprovalLinkUses(
            sp.GetRequiredService<StorageAccount>().Tables.GetTableClient(sp.GetRequiredService<StorageNames>().Table("approvallinks"))));
        services.AddSingleton<ApprovalLinkIssuer>();
        // Every approval request that leaves the app carries its approvers' links: the notifier the app uses is the outbox with links added.
        services.AddSingleton<INotifier>(sp => new ApprovalLinkNotifier(sp.GetRequiredService<OutboxNotifier>(), sp.GetRequiredService<ApprovalLinkIssuer>()));
        services.AddHostedService<ApprovalLinksBootstrap>();
        return services;
    }
}

/// <summary>Creates the link-use table before the app serves.</summary>
public sealed class ApprovalLinksBootstrap(ApprovalLinkUses uses) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => uses.EnsureCreatedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
