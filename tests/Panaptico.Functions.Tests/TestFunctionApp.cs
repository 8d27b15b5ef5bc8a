using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Functions.Auth;
using Panaptico.Testing;

namespace Panaptico.Functions.Tests;

/// <summary>
/// A function app under test: a folder of function.json files (as the host would deploy them), on the run's Azurite,
/// hosted in memory, with a development issuer whose tokens it trusts.
/// </summary>
public sealed class TestFunctionApp : IAsyncDisposable
{
    private TestFunctionApp(WebApplication app, DevelopmentIssuer issuer, string root)
    {
        App = app;
        Issuer = issuer;
        Root = root;
    }

    public WebApplication App { get; }
    public DevelopmentIssuer Issuer { get; }
    public string Root { get; }
    public IServiceProvider Services => App.Services;

    public HttpClient CreateClient(string? token = null)
    {
        var client = App.GetTestClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }
        return client;
    }

    /// <summary>A function root holding the given function.json files and a host.json.</summary>
    public static string CreateRoot(IReadOnlyDictionary<string, JsonObject> functions, JsonObject? queues = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "panaptico-fn-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        // The app's own HTTP functions come along: their code is always mapped, so their declarations must be there.
        foreach (var deployed in Directory.EnumerateFiles(DeployedRoot, "function.json", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(Path.GetDirectoryName(deployed)!);
            Directory.CreateDirectory(Path.Combine(root, name));
            File.Copy(deployed, Path.Combine(root, name, "function.json"));
        }
        File.WriteAllText(Path.Combine(root, "host.json"), new JsonObject
        {
            ["version"] = "2.0",
            ["extensions"] = new JsonObject { ["queues"] = queues ?? new JsonObject { ["maxDequeueCount"] = 3, ["batchSize"] = 4 } },
        }.ToJsonString());
        foreach (var (name, bindings) in functions)
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            File.WriteAllText(Path.Combine(root, name, "function.json"), bindings.ToJsonString());
        }
        return root;
    }

    /// <summary>The real deployment's function folders, as copied beside the handler by the build.</summary>
    public static string DeployedRoot => AppContext.BaseDirectory;

    public static async Task<TestFunctionApp> StartAsync(
        HostingMode mode,
        string? root = null,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        DevelopmentIssuer? issuer = null)
    {
        issuer ??= DevelopmentIssuer.Generate();
        root ??= DeployedRoot;
        var configuration = new Dictionary<string, string?>
        {
            ["Functions:Mode"] = mode.ToString(),
            ["Functions:Root"] = root,
            ["Functions:HostId"] = TestStorage.UniqueName("host"),
            ["Panaptico:StoragePrefix"] = TestStorage.UniqueName("p"),
            ["AzureWebJobsStorage"] = await TestStorage.ConnectionStringAsync(),
            ["Auth:SigningKeyPem"] = issuer.PublicKeyPem,
            ["HeartbeatSchedule"] = "0 0 * * * *",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var app = FunctionApp.Build([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(configuration);
            services?.Invoke(builder.Services);
        });
        await app.StartAsync();
        return new TestFunctionApp(app, issuer, root);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
