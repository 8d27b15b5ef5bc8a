using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Panaptico.Core.Identity;
using Panaptico.Functions;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Heartbeat;
using Panaptico.Functions.Standalone;
using Panaptico.Storage.Azurite;

namespace Panaptico.Cli.Demo;

/// <summary>
/// The walkthrough: starts the embedded store (Azurite on loopback) and the function app standalone, shows a timer
/// function firing and HTTP functions answering as real callers, then stops everything.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var storage = new Option<string?>("--storage") { Description = "A storage connection string; default: start Azurite" };
        var command = new Command("demo", "Run the walkthrough on the embedded default store") { storage };
        command.SetAction((result, cancellationToken) => RunAsync(result.GetValue(storage), Console.Out, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string? connectionString, TextWriter output, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        AzuriteProcess? azurite = null;
        if (connectionString is null)
        {
            azurite = await AzuriteProcess.StartAsync(cancellationToken);
            connectionString = azurite.ConnectionString;
            output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F2}s] Azurite listening on loopback (temporary workspace)");
        }
        try
        {
            var issuer = DevelopmentIssuer.Generate();
            var heartbeat = new FirstOccurrence(HeartbeatFunction.Name);
            await using var app = FunctionApp.Build([], builder =>
            {
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Functions:Mode"] = nameof(HostingMode.Standalone),
                    ["AzureWebJobsStorage"] = connectionString,
                    ["Auth:SigningKeyPem"] = issuer.PublicKeyPem,
                    ["HeartbeatSchedule"] = "*/2 * * * * *",
                });
                builder.Services.AddSingleton<TriggerObserver>(heartbeat);
            });
            await app.StartAsync(cancellationToken);
            var baseAddress = new Uri(app.Urls.First());
            output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F2}s] function app standalone at {baseAddress}");

            using var http = new HttpClient { BaseAddress = baseAddress };
            var health = await http.GetStringAsync(new Uri("/api/health", UriKind.Relative), cancellationToken);
            output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F2}s] first HTTP answer  GET /api/health -> {health}");

            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
                issuer.Issue("demo-operator", "demo.operator", [Role.Operator]));
            var me = await http.GetStringAsync(new Uri("/api/me", UriKind.Relative), cancellationToken);
            output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F2}s] GET /api/me as an operator -> {me}");
            var functions = JsonNode.Parse(await http.GetStringAsync(new Uri("/api/functions", UriKind.Relative), cancellationToken))!.AsArray();
            output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F2}s] GET /api/functions -> {string.Join(", ", functions.Select(f => $"{f!["name"]} ({f["trigger"]})"))}");

            var fired = await heartbeat.Fired.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F2}s] timer function Heartbeat fired for occurrence {fired:O}");

            await app.StopAsync(cancellationToken);
            output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F2}s] stopped cleanly");
            return 0;
        }
        finally
        {
            if (azurite is not null)
            {
                await azurite.DisposeAsync();
            }
        }
    }

    private sealed class FirstOccurrence(string function) : TriggerObserver
    {
        private readonly TaskCompletionSource<DateTimeOffset> _fired = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<DateTimeOffset> Fired => _fired.Task;

        public override void TimerHandled(string name, DateTimeOffset occurrence, TimerOutcome outcome)
        {
            if (name == function && outcome == TimerOutcome.Fired)
            {
                _fired.TrySetResult(occurrence);
            }
        }
    }
}
