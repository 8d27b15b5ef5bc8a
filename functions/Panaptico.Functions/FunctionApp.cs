using Microsoft.Extensions.DependencyInjection.Extensions;
using Panaptico.Functions.Audit;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Caller;
using Panaptico.Functions.Governance;
using Panaptico.Functions.Health;
using Panaptico.Functions.Heartbeat;
using Panaptico.Functions.Hosting;
using Panaptico.Functions.Platform;
using Panaptico.Functions.Remediation;
using Panaptico.Functions.Standalone;

namespace Panaptico.Functions;

public enum HostingMode
{
    /// <summary>Behind the Azure Functions host, which owns the triggers and calls <c>POST /&lt;FunctionName&gt;</c>.</summary>
    CustomHandler,

    /// <summary>No Functions host: this process reads the function.json files and drives the triggers itself.</summary>
    Standalone,
}

/// <summary>All wiring of the function app in one place; Program.cs only builds and runs it.</summary>
public static class FunctionApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        var configuration = builder.Configuration;
        var mode = Mode(configuration);

        if (mode == HostingMode.CustomHandler && configuration["FUNCTIONS_CUSTOMHANDLER_PORT"] is { } port)
        {
            // The host talks to us on loopback only.
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }

        var root = configuration["Functions:Root"] ?? AppContext.BaseDirectory;
        builder.Services.AddSingleton(FunctionCatalog.Load(root));
        builder.Services.AddSingleton(HostSettings.Load(Path.Combine(root, "host.json")));
        builder.Services.AddSingleton<FunctionInvoker>();
        builder.Services.AddSingleton<MappedHttpFunctions>();
        builder.AddPlatform();
        // TryAdd: tests and the demo put in an observer before this runs.
        builder.Services.TryAddSingleton<TriggerObserver>();
        builder.Services.AddProblemDetails();
        builder.AddPanapticoAuth();

        configuration.AddDefault(HeartbeatFunction.ScheduleSetting, HeartbeatFunction.DefaultSchedule);
        builder.Services.AddFunction<HeartbeatFunction>(HeartbeatFunction.Name);
        builder.Services.AddGovernance(builder.Configuration);
        builder.Services.AddAuditApi(builder.Configuration);
        builder.Services.AddRemediation(builder.Configuration);

        if (mode == HostingMode.Standalone)
        {
            builder.Services.AddHostedService<TimerTriggerRunner>();
            builder.Services.AddHostedService<QueueTriggerRunner>();
        }

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthApi();
        app.MapCallerApi();
        app.MapGovernanceApi();
        app.MapAuditApi();
        app.MapRemediationApi();

        app.EnsureEveryHttpFunctionIsMapped();
        if (mode == HostingMode.CustomHandler)
        {
            app.MapInvocationEndpoint();
        }
        else
        {
            app.MapEventGridWebhook();
        }
        return app;
    }

    public static HostingMode Mode(IConfiguration configuration) =>
        configuration["Functions:Mode"] is { } configured
            ? Enum.Parse<HostingMode>(configured, ignoreCase: true)
            : configuration["FUNCTIONS_CUSTOMHANDLER_PORT"] is not null ? HostingMode.CustomHandler : HostingMode.Standalone;

}
