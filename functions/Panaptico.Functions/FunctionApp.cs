using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Panaptico.Functions.ApprovalLinks;
using Panaptico.Functions.Audit;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Drift;
using Panaptico.Functions.Governance;
using Panaptico.Functions.Heartbeat;
using Panaptico.Functions.Hosting;
using Panaptico.Functions.Platform;
using Panaptico.Functions.Remediation;
using Panaptico.Functions.Standalone;
using Panaptico.Functions.Teams;

namespace Panaptico.Functions;

/// <summary>
/// The app's wiring, once for both hosts: the Functions host (Azure) and the standalone host (local, tests, demo,
/// containers). Function classes are the same in both and never know which one runs them.
/// </summary>
public static class FunctionApp
{
    /// <summary>Every service the functions use, whichever host runs them.</summary>
    public static void AddPanaptico(this IServiceCollection services, IConfigurationManager configuration)
    {
        configuration.AddDefault(HeartbeatFunction.ScheduleSetting, HeartbeatFunction.DefaultSchedule);
        services.AddPlatform(configuration);
        services.AddPanapticoAuth(configuration);
        services.AddGovernance(configuration);
        services.AddAuditApi(configuration);
        services.AddRemediation(configuration);
        services.AddDrift(configuration);
        services.AddApprovalLinks(configuration);
        services.AddTeams(configuration);
    }

    /// <summary>True when the Functions host started this process as its isolated worker.</summary>
    public static bool UnderFunctionsHost(string[] args) =>
        !string.Equals(Environment.GetEnvironmentVariable("Functions__Mode"), "Standalone", StringComparison.OrdinalIgnoreCase)
        && (Environment.GetEnvironmentVariable("FUNCTIONS_WORKER_RUNTIME") is not null
            || args.Any(a => a.StartsWith("--functions-", StringComparison.Ordinal) || a == "--workerId"));

    /// <summary>The isolated worker under the Functions host: it owns triggers, routes, keys and Durable Functions.</summary>
    public static IHost BuildForFunctionsHost(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.Services.AddPanaptico(builder.Configuration);
        return builder.Build();
    }

    /// <summary>
    /// The standalone host: HTTP routes from the functions' <c>[HttpTrigger]</c>s under <c>/api</c>, NCRONTAB timers
    /// with one firing per occurrence across instances, queue triggers with a poison queue, and orchestrations on the
    /// real Durable Task Framework over Azure Storage. Settings of host.json apply as the Functions host applies them.
    /// </summary>
    /// <param name="configure">Runs before the app's registrations: configuration sources, the web host.</param>
    /// <param name="overrides">Runs after them: a fake clock or a test double replaces the app's own.</param>
    public static WebApplication BuildStandalone(
        string[] args, Action<WebApplicationBuilder>? configure = null, Action<IServiceCollection>? overrides = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddHostJson(Path.Combine(AppContext.BaseDirectory, "host.json"));
        configure?.Invoke(builder);
        var services = builder.Services;
        services.AddPanaptico(builder.Configuration);

        // TryAdd: a test host may index its own test functions beside the app's.
        services.TryAddSingleton(FunctionIndex.FromAssemblies(typeof(FunctionApp).Assembly));
        services.AddOptions<QueueHostOptions>().BindConfiguration(QueueHostOptions.Section);
        services.AddOptions<DurableTaskHostOptions>().BindConfiguration(DurableTaskHostOptions.Section)
            .Validate(o => o.HubName.Length is >= 3 and <= 45 && char.IsAsciiLetter(o.HubName[0]) && o.HubName.All(char.IsAsciiLetterOrDigit),
                "durableTask.hubName must be 3-45 letters and digits, starting with a letter")
            .ValidateOnStart();
        services.AddSingleton<DurableTaskEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<DurableTaskEngine>());
        services.AddSingleton<StandaloneDurableClient>();
        services.AddSingleton<DurableTaskClient>(sp => sp.GetRequiredService<StandaloneDurableClient>());
        services.AddHostedService<TimerTriggerRunner>();
        services.AddHostedService<QueueTriggerRunner>();
        services.AddProblemDetails();
        overrides?.Invoke(services);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHttpFunctions(app.Services.GetRequiredService<FunctionIndex>());
        return app;
    }
}
