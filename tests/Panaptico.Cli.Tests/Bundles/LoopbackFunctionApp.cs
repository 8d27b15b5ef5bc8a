using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Panaptico.Cli.Bundles;
using Panaptico.Core.Evidence;
using Panaptico.Core.Identity;
using Panaptico.Functions;
using Panaptico.Functions.Auth;
using Panaptico.Storage.Evidence;
using Panaptico.Testing;

namespace Panaptico.Cli.Tests.Bundles;

/// <summary>The function app on a loopback port, on the run's Azurite, trusting a development issuer: what the CLI talks to.</summary>
public sealed class LoopbackFunctionApp : IAsyncLifetime
{
    private WebApplication? _app;

    public DevelopmentIssuer Issuer { get; } = DevelopmentIssuer.Generate();

    public WebApplication App => _app ?? throw new InvalidOperationException("not started");

    public Uri BaseAddress => new(App.Urls.First());

    public async Task InitializeAsync()
    {
        var connectionString = await TestStorage.ConnectionStringAsync();
        _app = FunctionApp.BuildStandalone([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["AzureFunctionsJobHost:extensions:durableTask:hubName"] = TestStorage.UniqueName("hub"),
                ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:partitionCount"] = "1",
                ["Functions:HostId"] = TestStorage.UniqueName("host"),
                ["Panaptico:StoragePrefix"] = TestStorage.UniqueName("p"),
                ["AzureWebJobsStorage"] = connectionString,
                ["Auth:SigningKeyPem"] = Issuer.PublicKeyPem,
                ["HeartbeatSchedule"] = "0 0 * * * *",
            });
        });
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>A client as <c>bundle fetch</c> makes one, for a caller in <paramref name="role"/>.</summary>
    public HttpClient Client(string? role = Role.Auditor) =>
        BundleCommands.CreateClient(BaseAddress, role is null ? null : Issuer.Issue("u-ines", "ines", [role]));

    public async Task<StoredArtifact> PutArtifactAsync(byte[] content, string name, string mediaType) =>
        await App.Services.GetRequiredService<EvidenceVault>().PutAsync(
            new MemoryStream(content), new ArtifactCapture("kms-snapshot", name, mediaType, "u-dana"), null, CancellationToken.None);

    public async Task<SealedBundle> SealAsync(string taskId)
    {
        var keys = await PutArtifactAsync(Encoding.UTF8.GetBytes($"{{\"keys\":312,\"task\":\"{taskId}\"}}\n"), "kms-keys.json", "application/json");
        var events = await PutArtifactAsync(Encoding.UTF8.GetBytes($"{{\"event\":\"RotateKey\",\"task\":\"{taskId}\"}}\n"), "cloudtrail-rotatekey.ndjson", "application/x-ndjson");
        var request = new SealRequest(
            new BundleSubject(BundleSubject.Task, taskId),
            [keys.ToManifestArtifact(), events.ToManifestArtifact()],
            [new ManifestApproval("security", "u-nina", DateTimeOffset.UtcNow, "approve", null, "kms change", new string('c', 64))],
            [new ManifestGate("evidence", DateTimeOffset.UtcNow)],
            []);
        return await App.Services.GetRequiredService<EvidenceSealer>().SealAsync(request, "u-dana", CancellationToken.None);
    }
}
