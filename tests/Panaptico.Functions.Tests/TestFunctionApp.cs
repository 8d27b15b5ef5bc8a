using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Standalone;
using Panaptico.Testing;

namespace Panaptico.Functions.Tests;

/// <summary>
/// The function app under test: the standalone host in memory, on the run's Azurite, with a task hub of its own,
/// short Durable Task polling, and a development issuer whose tokens it trusts.
/// </summary>
public sealed class TestFunctionApp : IAsyncDisposable
{
    private TestFunctionApp(WebApplication app, DevelopmentIssuer issuer)
    {
        App = app;
        Issuer = issuer;
    }

    public WebApplication App { get; }
    public DevelopmentIssuer Issuer { get; }
    public IServiceProvider Services => App.Services;

    public DurableTaskClient Durable => App.Services.GetRequiredService<DurableTaskClient>();

    public HttpClient CreateClient(string? token = null)
    {
        var client = App.GetTestClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }
        return client;
    }

    /// <summary>Settings every test app gets; a test's own settings override them (share a hub name to share a task hub).</summary>
    public static async Task<Dictionary<string, string?>> DefaultSettingsAsync(DevelopmentIssuer issuer) => new()
    {
        ["Functions:HostId"] = TestStorage.UniqueName("host"),
        ["Panaptico:StoragePrefix"] = TestStorage.UniqueName("p"),
        ["AzureWebJobsStorage"] = await TestStorage.ConnectionStringAsync(),
        ["Auth:SigningKeyPem"] = issuer.PublicKeyPem,
        ["HeartbeatSchedule"] = "0 0 * * * *",
        ["DriftSweepSchedule"] = "0 0 0 * * *",
        ["Logging:LogLevel:Panaptico.Functions.Standalone"] = "Debug",
        // Follow-ups look soon after a write, so tests see what they do.
        ["Governance:FollowUpDelay"] = "PT1S",
        [$"{DurableTaskHostOptions.Section}:hubName"] = TestStorage.UniqueName("hub"),
        [$"{DurableTaskHostOptions.Section}:storageProvider:partitionCount"] = "1",
        [$"{DurableTaskHostOptions.Section}:storageProvider:maxQueuePollingInterval"] = "00:00:00.500",
        [$"{QueueHostOptions.Section}:maxDequeueCount"] = "3",
        [$"{QueueHostOptions.Section}:maxPollingInterval"] = "00:00:00.500",
    };

    /// <param name="services">Registered after the app's own, so they replace them (a fake clock, a test double).</param>
    /// <param name="functions">The function classes to run instead of the app's own (for tests of the host itself).</param>
    /// <param name="listen">Serve on a loopback port (<c>App.Urls</c>) instead of in memory, for a browser.</param>
    public static async Task<TestFunctionApp> StartAsync(
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        DevelopmentIssuer? issuer = null,
        Type[]? functions = null,
        bool listen = false)
    {
        issuer ??= DevelopmentIssuer.Generate();
        var configuration = await DefaultSettingsAsync(issuer);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var app = FunctionApp.BuildStandalone([], builder =>
        {
            // A real loopback listener for a browser; otherwise the in-memory test server.
            if (listen)
            {
                builder.WebHost.UseUrls("http://127.0.0.1:0");
            }
            else
            {
                builder.WebHost.UseTestServer();
            }
            builder.Configuration.AddInMemoryCollection(configuration);
            if (functions is not null)
            {
                builder.Services.AddSingleton(FunctionIndex.FromTypes(functions));
            }
        }, services);
        await app.StartAsync();
        return new TestFunctionApp(app, issuer);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
