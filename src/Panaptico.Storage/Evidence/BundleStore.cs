using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Panaptico.Core.Canonical;
using Panaptico.Core.Evidence;

namespace Panaptico.Storage.Evidence;

/// <summary>A stored sealed bundle: its digest (the manifest's sha256), subject and seal time.</summary>
public sealed record StoredBundle(string Digest, BundleSubject Subject, DateTimeOffset SealedAt);

/// <summary>
/// Sealed bundles (DSSE envelope JSON) in Blob storage, written once: <c>sha256/&lt;digest&gt;.dsse.json</c> holds the
/// envelope, and an empty index blob <c>subjects/&lt;kind&gt;/&lt;id&gt;/&lt;sealed-at&gt;-&lt;digest&gt;</c> finds a
/// subject's bundles in seal order. Both are created with If-None-Match:*. A seal that may be retried first keeps its
/// envelope as <c>seals/&lt;kind&gt;/&lt;id&gt;/&lt;request sha256&gt;.dsse.json</c>, also created once, so every
/// retry of that request gets the first envelope (<see cref="SaveFirstSealAsync"/>).
/// </summary>
public sealed class BundleStore(BlobContainerClient container)
{
    public BlobContainerClient Container => container;

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken) =>
        await container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);

    /// <summary>Stores a bundle; storing the very same envelope again is a no-op, a different one under its digest is refused.</summary>
    public async Task<StoredBundle> SaveAsync(SealedBundle bundle, CancellationToken cancellationToken)
    {
        var stored = new StoredBundle(bundle.Digest, bundle.Manifest.Subject, bundle.Manifest.SealedAt);
        var json = BinaryData.FromString(bundle.Envelope.ToJson());
        var envelopeBlob = container.GetBlobClient(EnvelopeName(bundle.Digest));
        try
        {
            await envelopeBlob.UploadAsync(json, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                Metadata = new Dictionary<string, string>
                {
                    ["subjectkind"] = Uri.EscapeDataString(stored.Subject.Kind),
                    ["subjectid"] = Uri.EscapeDataString(stored.Subject.Id),
                    ["sealedat"] = stored.SealedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                },
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            var existing = (await envelopeBlob.DownloadContentAsync(cancellationToken)).Value.Content;
            if (!existing.ToMemory().Span.SequenceEqual(json.ToMemory().Span))
            {
                throw new InvalidOperationException($"a different bundle is already stored under digest {bundle.Digest}; bundles are immutable", e);
            }
        }

        try
        {
            await container.GetBlobClient(IndexName(stored)).UploadAsync(
                BinaryData.Empty,
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Indexed by an earlier attempt.
        }

        return stored;
    }

    /// <summary>
    /// Keeps <paramref name="envelope"/> as the seal of <paramref name="subject"/> for the request whose canonical JSON
    /// hashes to <paramref name="requestSha256"/>, unless an earlier attempt kept one: returns the envelope kept first.
    /// </summary>
    public async Task<DsseEnvelope> SaveFirstSealAsync(BundleSubject subject, string requestSha256, DsseEnvelope envelope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(envelope);
        if (!ContentHash.IsSha256Hex(requestSha256))
        {
            throw new ArgumentException("the request digest must be a lowercase hex SHA-256", nameof(requestSha256));
        }

        var blob = container.GetBlobClient($"seals/{Uri.EscapeDataString(subject.Kind)}/{Uri.EscapeDataString(subject.Id)}/{requestSha256}.dsse.json");
        try
        {
            await blob.UploadAsync(BinaryData.FromString(envelope.ToJson()), new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            }, cancellationToken);
            return envelope;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return DsseEnvelope.Parse((await blob.DownloadContentAsync(cancellationToken)).Value.Content.ToString());
        }
    }

    /// <summary>The envelope of the bundle with this digest, or null.</summary>
    public async Task<DsseEnvelope?> GetAsync(string digest, CancellationToken cancellationToken)
    {
        if (!ContentHash.IsSha256Hex(digest))
        {
            return null;
        }

        try
        {
            var content = (await container.GetBlobClient(EnvelopeName(digest)).DownloadContentAsync(cancellationToken)).Value.Content;
            return DsseEnvelope.Parse(content.ToString());
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>A subject's bundles, oldest seal first.</summary>
    public async Task<IReadOnlyList<StoredBundle>> ListAsync(BundleSubject subject, CancellationToken cancellationToken)
    {
        var prefix = SubjectPrefix(subject);
        var bundles = new List<StoredBundle>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
        {
            var (ticks, digest) = item.Name[prefix.Length..].Split('-', 2) switch
            {
                [var t, var d] => (long.Parse(t, CultureInfo.InvariantCulture), d),
                _ => throw new FormatException($"unexpected bundle index entry '{item.Name}'"),
            };
            bundles.Add(new StoredBundle(digest, subject, new DateTimeOffset(ticks, TimeSpan.Zero)));
        }

        return bundles;
    }

    private static string EnvelopeName(string digest) => $"sha256/{digest}.dsse.json";

    private static string SubjectPrefix(BundleSubject subject) =>
        $"subjects/{Uri.EscapeDataString(subject.Kind)}/{Uri.EscapeDataString(subject.Id)}/";

    // Fixed-width ticks sort lexically in time order.
    private static string IndexName(StoredBundle bundle) =>
        SubjectPrefix(bundle.Subject) + bundle.SealedAt.UtcTicks.ToString("D19", CultureInfo.InvariantCulture) + "-" + bundle.Digest;
}
