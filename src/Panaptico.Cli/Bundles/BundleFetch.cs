using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;
using Panaptico.Core.Evidence;

namespace Panaptico.Cli.Bundles;

/// <summary>What <see cref="BundleFetch.FetchAsync"/> wrote.</summary>
/// <param name="LedgerExport">The ledger export (JSONL with its sidecars) when one was fetched.</param>
public sealed record FetchedBundle(string Digest, BundleSubject Subject, int Artifacts, long Bytes, string Directory, string? LedgerExport);

/// <summary>The server refused, or answered something that is not the bundle asked for; the message says which.</summary>
public sealed class BundleFetchException(string message) : Exception(message);

/// <summary>
/// Downloads a sealed bundle from the auditor API into the offline layout (<see cref="BundleLayout"/>) that
/// <c>panaptico verify</c> reads. Nothing the server says around the envelope is trusted: the manifest is taken from
/// the signed payload (and must hash to the digest asked for), and every artifact is hashed as it streams to disk and
/// kept only when it is the manifest's bytes. The signature itself is left to <c>verify</c>.
/// </summary>
public static class BundleFetch
{
    public const string LedgerDirectory = "ledger";

    /// <param name="http">A client whose base address is the app (e.g. https://host/) and which carries the bearer token.</param>
    /// <param name="withLedger">Also fetch the whole ledger export, so <c>verify --ledger</c> can check the seal's inclusion.</param>
    /// <exception cref="BundleFetchException">Refused, not found, or not the bundle's bytes.</exception>
    public static async Task<FetchedBundle> FetchAsync(HttpClient http, string digest, string directory, bool withLedger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        digest = digest.Trim().ToLowerInvariant();
        if (!ContentHash.IsSha256Hex(digest))
        {
            throw new BundleFetchException($"'{digest}' is not a bundle digest (64 hex digits)");
        }

        var answer = await GetJsonAsync(http, $"api/bundles/{digest}", cancellationToken);
        DsseEnvelope envelope;
        Keyring keyring;
        BundleManifest manifest;
        byte[] canonicalManifest;
        try
        {
            envelope = DsseEnvelope.Parse(answer["envelope"]?.ToJsonString() ?? throw new FormatException("the answer has no envelope"));
            keyring = Keyring.Parse(answer["keyring"]?.ToJsonString() ?? throw new FormatException("the answer has no keyring"));
            (manifest, canonicalManifest) = InTotoStatement.ReadManifest(envelope);
        }
        catch (FormatException e)
        {
            throw new BundleFetchException($"bundle {digest}: {e.Message}");
        }

        var signedDigest = ContentHash.Sha256Hex(canonicalManifest);
        if (signedDigest != digest)
        {
            throw new BundleFetchException($"asked for bundle {digest} but the server sent one whose manifest hashes to {signedDigest}");
        }

        var artifactsDirectory = Path.Combine(directory, BundleLayout.ArtifactsDirectory);
        Directory.CreateDirectory(artifactsDirectory);
        await File.WriteAllTextAsync(Path.Combine(directory, BundleLayout.EnvelopeFile), envelope.ToJson(), cancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(directory, BundleLayout.ManifestFile), canonicalManifest, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, BundleLayout.KeyringFile), keyring.ToJson(), cancellationToken);

        var bytes = 0L;
        var artifacts = manifest.Artifacts.DistinctBy(a => a.Sha256).ToList();
        foreach (var artifact in artifacts)
        {
            bytes += await DownloadArtifactAsync(http, artifact, artifactsDirectory, cancellationToken);
        }

        var ledgerExport = withLedger ? await DownloadLedgerAsync(http, Path.Combine(directory, LedgerDirectory), cancellationToken) : null;
        return new FetchedBundle(digest, manifest.Subject, artifacts.Count, bytes, directory, ledgerExport);
    }

    /// <summary>Streams the artifact to <c>&lt;sha256&gt;.partial</c>, hashing as it goes; renamed only when it is the manifest's bytes.</summary>
    private static async Task<long> DownloadArtifactAsync(HttpClient http, ManifestArtifact artifact, string directory, CancellationToken cancellationToken)
    {
        var target = Path.Combine(directory, artifact.Sha256);
        var partial = target + ".partial";
        using var response = await SendAsync(http, $"api/evidence/{artifact.Sha256}", $"artifact '{artifact.Name}' ({artifact.Sha256})", cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var size = 0L;
        await using (var source = await response.Content.ReadAsStreamAsync(cancellationToken))
        await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                size += read;
            }
        }

        var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (sha256 != artifact.Sha256 || size != artifact.Size)
        {
            File.Delete(partial);
            throw new BundleFetchException(
                $"artifact '{artifact.Name}' ({artifact.Sha256}): the server sent {size} bytes hashing to {sha256}, the manifest says {artifact.Size} bytes");
        }

        File.Move(partial, target, overwrite: true);
        return size;
    }

    /// <summary>The whole ledger as JSONL with its signed checkpoint and metadata, unpacked; returns the records file.</summary>
    private static async Task<string> DownloadLedgerAsync(HttpClient http, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var zipPath = Path.Combine(directory, "export.zip");
        using (var response = await SendAsync(http, "api/ledger/export?format=jsonl", "ledger export", cancellationToken))
        await using (var file = new FileStream(zipPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await response.Content.CopyToAsync(file, cancellationToken);
        }

        try
        {
            // Refuses entries that would land outside the directory.
            await ZipFile.ExtractToDirectoryAsync(zipPath, directory, overwriteFiles: true, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw new BundleFetchException($"ledger export: not a zip ({e.Message})");
        }
        finally
        {
            File.Delete(zipPath);
        }

        var export = Path.Combine(directory, "ledger.jsonl");
        return File.Exists(export) ? export : throw new BundleFetchException("ledger export: the zip holds no ledger.jsonl");
    }

    private static async Task<JsonObject> GetJsonAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(http, path, $"bundle {path[(path.LastIndexOf('/') + 1)..]}", cancellationToken);
        try
        {
            return JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) as JsonObject
                ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException e)
        {
            throw new BundleFetchException($"GET {path}: the answer is not JSON ({e.Message})");
        }
    }

    /// <summary>GET, reading headers only; a refusal becomes an exception carrying the problem's detail.</summary>
    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string what, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new BundleFetchException($"{what}: {e.Message}");
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var detail = await ProblemDetailAsync(response, cancellationToken);
            throw new BundleFetchException(response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => $"{what}: 401 Unauthorized: pass a valid bearer token (--token or PANAPTICO_TOKEN){detail}",
                HttpStatusCode.Forbidden => $"{what}: 403 Forbidden: the token's caller is not an auditor{detail}",
                _ => $"{what}: {(int)response.StatusCode} {response.ReasonPhrase}{detail}",
            });
        }
    }

    private static async Task<string> ProblemDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentType is not MediaTypeHeaderValue { MediaType: "application/problem+json" })
        {
            return "";
        }

        try
        {
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            return problem?["detail"]?.GetValue<string>() is { Length: > 0 } detail ? $": {detail}" : "";
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return "";
        }
    }
}
