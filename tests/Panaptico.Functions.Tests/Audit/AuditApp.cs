using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Core.Evidence;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Evidence;

namespace Panaptico.Functions.Tests.Audit;

/// <summary>One function app per test class, with tokens for each role and ways to seed evidence and bundles.</summary>
public class AuditApp : IAsyncLifetime
{
    private readonly Action<IServiceCollection>? _services;
    private TestFunctionApp? _app;

    public AuditApp()
        : this(null)
    {
    }

    /// <param name="services">Services put in before the app's own (e.g. a fake clock).</param>
    protected AuditApp(Action<IServiceCollection>? services) => _services = services;

    public TestFunctionApp App => _app ?? throw new InvalidOperationException("not started");

    public HttpClient Auditor => App.CreateClient(App.Issuer.Issue("u-ines", "ines.auditor", [Role.Auditor]));
    public HttpClient Operator => App.CreateClient(App.Issuer.Issue("u-dana", "dana.operator", [Role.Operator]));
    public HttpClient Approver => App.CreateClient(App.Issuer.Issue("u-nina", "nina.approver", [Role.Approver]));
    public HttpClient Admin => App.CreateClient(App.Issuer.Issue("u-root", "root.admin", [Role.Admin]));
    public HttpClient Anonymous => App.CreateClient();

    public EvidenceVault Vault => App.Services.GetRequiredService<EvidenceVault>();
    public EvidenceSealer Sealer => App.Services.GetRequiredService<EvidenceSealer>();
    public ILedgerAppender Ledger => App.Services.GetRequiredService<ILedgerAppender>();

    public virtual async Task InitializeAsync() => _app = await TestFunctionApp.StartAsync(services: _services);

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    public async Task<StoredArtifact> PutArtifactAsync(byte[] content, string name, string mediaType = "application/json", string requirement = "kms-snapshot") =>
        await Vault.PutAsync(new MemoryStream(content), new ArtifactCapture(requirement, name, mediaType, "u-dana"), null, CancellationToken.None);

    /// <summary>Seals a task or change over two fresh artifacts, as completing it would.</summary>
    public async Task<SealedBundle> SealAsync(BundleSubject subject)
    {
        var snapshot = await PutArtifactAsync(RandomBytes(4096), "kms-keys.json");
        var events = await PutArtifactAsync(Encoding.UTF8.GetBytes("{\"event\":\"RotateKey\",\"key\":\"cmk-01\"}\n" + Guid.NewGuid()), "cloudtrail.ndjson", "application/x-ndjson", "cloudtrail-rotatekey");
        var request = new SealRequest(
            subject,
            [snapshot.ToManifestArtifact(), events.ToManifestArtifact()],
            [new ManifestApproval("security", "u-nina", DateTimeOffset.UtcNow, "approve", "rotation is routine", "kms change", new string('a', 64))],
            [new ManifestGate("evidence", DateTimeOffset.UtcNow)],
            []);
        return await Sealer.SealAsync(request, "u-dana", CancellationToken.None);
    }

    public static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    public static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {status}, got {response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detailContains, body, StringComparison.Ordinal);
    }
}
