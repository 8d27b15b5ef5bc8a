using System.CommandLine;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Cli.Bundles;
using Panaptico.Cli.Verify;
using Panaptico.Core.Evidence;
using Panaptico.Core.Identity;
using Panaptico.Storage.Evidence;

namespace Panaptico.Cli.Tests.Bundles;

/// <summary><c>panaptico bundle fetch</c> against the function app over loopback HTTP, then <c>panaptico verify</c> on what it wrote.</summary>
public sealed class BundleFetchTests(LoopbackFunctionApp app) : IClassFixture<LoopbackFunctionApp>, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "panaptico-fetch-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_fetched_bundle_is_in_the_offline_layout_and_passes_verify()
    {
        var sealedBundle = await app.SealAsync(NewTask());

        var (exit, output) = await FetchAsync(app.Client(), sealedBundle.Digest, withLedger: false);
        var (verified, report) = await VerifyAsync(ledgerExport: null);

        Assert.Equal(0, exit);
        Assert.Contains($"fetched bundle {sealedBundle.Digest} for task:{sealedBundle.Manifest.Subject.Id}: 2 artifact(s)", output, StringComparison.Ordinal);
        Assert.Equal(0, verified);
        Assert.Contains($"VERIFIED: bundle {sealedBundle.Digest}", report, StringComparison.Ordinal);
        Assert.Equal(
            sealedBundle.Manifest.Artifacts.Select(a => a.Sha256).Order(StringComparer.Ordinal),
            Directory.GetFiles(Path.Combine(_directory, BundleLayout.ArtifactsDirectory)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task With_the_ledger_the_fetched_bundle_proves_its_seal_record_is_in_the_signed_ledger()
    {
        var sealedBundle = await app.SealAsync(NewTask());

        var (exit, output) = await FetchAsync(app.Client(), sealedBundle.Digest, withLedger: true);
        var export = Path.Combine(_directory, BundleFetch.LedgerDirectory, "ledger.jsonl");
        var (verified, report) = await VerifyAsync(export);

        Assert.Equal(0, exit);
        Assert.Contains($"--ledger \"{export}\"", output, StringComparison.Ordinal);
        Assert.True(verified == 0, report);
        Assert.Contains($"({EvidenceSealer.LedgerKind}): included in the signed tree", report, StringComparison.Ordinal);
        Assert.Contains($"({KeyringStore.LedgerKind}): included in the signed tree", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_command_line_fetches_with_url_token_and_out()
    {
        var sealedBundle = await app.SealAsync(NewTask());
        var token = app.Issuer.Issue("u-ines", "ines", [Role.Auditor]);
        var root = new RootCommand { BundleCommands.Create() };
        var output = new StringWriter();

        var exit = await root.Parse(["bundle", "fetch", sealedBundle.Digest, "--url", app.BaseAddress.ToString(), "--token", token, "--out", _directory])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output });

        Assert.True(exit == 0, output.ToString());
        Assert.Equal(0, (await VerifyAsync(ledgerExport: null)).Exit);
    }

    [Fact]
    public async Task An_artifact_whose_bytes_differ_from_the_manifest_fails_the_fetch_and_is_named()
    {
        var sealedBundle = await app.SealAsync(NewTask());
        var tampered = sealedBundle.Manifest.Artifacts.Single(a => a.Name == "cloudtrail-rotatekey.ndjson");
        var vault = app.App.Services.GetRequiredService<EvidenceVault>();
        var blob = vault.Container.GetBlobClient($"sha256/{tampered.Sha256}");
        var properties = (await blob.GetPropertiesAsync()).Value;
        // Rewritten behind the vault's back, capture metadata and all: only the bytes differ.
        await blob.UploadAsync(BinaryData.FromString("{\"event\":\"Nothing\"}\n"), new BlobUploadOptions
        {
            Metadata = properties.Metadata,
            HttpHeaders = new BlobHttpHeaders { ContentType = properties.ContentType },
        });

        var (exit, output) = await FetchAsync(app.Client(), sealedBundle.Digest, withLedger: false);

        Assert.Equal(1, exit);
        Assert.Contains($"FAIL: artifact 'cloudtrail-rotatekey.ndjson' ({tampered.Sha256}): the server sent", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, BundleLayout.ArtifactsDirectory, tampered.Sha256)));
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, BundleLayout.ArtifactsDirectory), "*.partial"));
    }

    [Fact]
    public async Task An_unknown_digest_fails_with_the_servers_reason()
    {
        var unknown = new string('e', 64);

        var (exit, output) = await FetchAsync(app.Client(), unknown, withLedger: false);

        Assert.Equal(1, exit);
        Assert.Contains($"404 Not Found: no sealed bundle with digest {unknown}", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_directory));
    }

    [Fact]
    public async Task A_malformed_digest_fails_before_asking_the_server()
    {
        var (exit, output) = await FetchAsync(app.Client(), "TASK-0412", withLedger: false);

        Assert.Equal(1, exit);
        Assert.Contains("'task-0412' is not a bundle digest", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_token_or_as_an_operator_the_fetch_fails_and_says_why()
    {
        var sealedBundle = await app.SealAsync(NewTask());

        var (anonymousExit, anonymous) = await FetchAsync(app.Client(role: null), sealedBundle.Digest, withLedger: false);
        var (operatorExit, asOperator) = await FetchAsync(app.Client(Role.Operator), sealedBundle.Digest, withLedger: false);

        Assert.Equal(1, anonymousExit);
        Assert.Contains("401 Unauthorized: pass a valid bearer token", anonymous, StringComparison.Ordinal);
        Assert.Equal(1, operatorExit);
        Assert.Contains("403 Forbidden: the token's caller is not an auditor", asOperator, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static string NewTask() => "TASK-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<(int Exit, string Output)> FetchAsync(HttpClient client, string digest, bool withLedger)
    {
        using (client)
        {
            var output = new StringWriter();
            var exit = await BundleCommands.RunAsync(client, digest, _directory, withLedger, output, CancellationToken.None);
            return (exit, output.ToString());
        }
    }

    private async Task<(int Exit, string Output)> VerifyAsync(string? ledgerExport)
    {
        var output = new StringWriter();
        var exit = await VerifyCommand.RunAsync(OfflineBundle.Locate(_directory, null), ledgerExport, null, output, CancellationToken.None);
        return (exit, output.ToString());
    }
}
