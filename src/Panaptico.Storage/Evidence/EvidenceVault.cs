using System.Globalization;
using System.Runtime.InteropServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Panaptico.Core.Canonical;
using Panaptico.Core.Evidence;

namespace Panaptico.Storage.Evidence;

public sealed record EvidenceVaultOptions
{
    public string ContainerName { get; init; } = "evidence";

    /// <summary>Uploads past this many bytes are refused (413) and leave nothing behind.</summary>
    public long MaxArtifactBytes { get; init; } = 4L * 1024 * 1024 * 1024;

    /// <summary>One staged block; also the upload's whole memory footprint.</summary>
    public int BlockSize { get; init; } = ArtifactBlockReader.DefaultBlockSize;
}

/// <summary>Who captured an artifact, for which requirement, as what.</summary>
public sealed record ArtifactCapture(string Requirement, string Name, string MediaType, string CapturedBy);

/// <summary>An artifact in the vault. <see cref="AlreadyStored"/>: the same bytes were there before this upload.</summary>
public sealed record StoredArtifact(
    string Sha256, long Size, ArtifactCapture Capture, DateTimeOffset CapturedAt, bool AlreadyStored)
{
    public ManifestArtifact ToManifestArtifact() =>
        new(Capture.Requirement, Capture.Name, Sha256, Size, Capture.MediaType, Capture.CapturedBy, CapturedAt);
}

/// <summary>
/// Evidence artifacts in Blob storage, content-addressed as <c>sha256/&lt;hex&gt;</c>, created once and never overwritten.
/// </summary>
/// <remarks>
/// An upload's name is its hash, which is known only after the last byte. So blocks are staged, as they are read and
/// hashed, on a private staging blob; once the hash is known (and checked against any hash the client claimed), the
/// staging blob is committed and server-side copied to its final name with If-None-Match:*, then deleted. Memory is one
/// block whatever the size; a refused upload (too large, empty, wrong hash) never reaches a final name, and its staged
/// blocks are discarded. A concurrent upload of the same bytes loses the conditional copy and is reported as existing.
/// </remarks>
public sealed class EvidenceVault(BlobContainerClient container, EvidenceVaultOptions options, TimeProvider time)
{
    private const string ArtifactPrefix = "sha256/";
    private const string StagingPrefix = "staging/";

    public BlobContainerClient Container => container;

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken) =>
        await container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);

    /// <summary>Streams <paramref name="content"/> into the vault.</summary>
    /// <param name="claimedSha256">The hash the client says it sent; the upload is refused if the bytes differ.</param>
    /// <exception cref="ArtifactRejectedException">Empty, too large, or not the claimed bytes; nothing is stored.</exception>
    public async Task<StoredArtifact> PutAsync(Stream content, ArtifactCapture capture, string? claimedSha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ValidateCapture(capture);
        if (claimedSha256 is not null && !ContentHash.IsSha256Hex(claimedSha256))
        {
            throw new MalformedArtifactHashException(claimedSha256);
        }

        // Refuse before touching storage when the length is known up front.
        if (content.CanSeek)
        {
            var remaining = content.Length - content.Position;
            if (remaining == 0)
            {
                throw new EmptyArtifactException();
            }

            if (remaining > options.MaxArtifactBytes)
            {
                throw new ArtifactTooLargeException(options.MaxArtifactBytes);
            }
        }

        var capturedAt = time.GetUtcNow();
        var staging = container.GetBlockBlobClient(StagingPrefix + Guid.NewGuid().ToString("N"));
        var blockIds = new List<string>();
        var committed = false;
        try
        {
            using var reader = new ArtifactBlockReader(content, options.BlockSize, options.MaxArtifactBytes);
            for (var block = await reader.ReadBlockAsync(cancellationToken); !block.IsEmpty; block = await reader.ReadBlockAsync(cancellationToken))
            {
                var blockId = Convert.ToBase64String(BitConverter.GetBytes(blockIds.Count)); // same length for every id, as the service requires
                await staging.StageBlockAsync(blockId, AsStream(block), cancellationToken: cancellationToken);
                blockIds.Add(blockId);
            }

            if (reader.BytesRead == 0)
            {
                throw new EmptyArtifactException();
            }

            var sha256 = reader.Sha256Hex();
            if (claimedSha256 is not null && claimedSha256 != sha256)
            {
                throw new ArtifactHashMismatchException(claimedSha256, sha256);
            }

            var stored = new StoredArtifact(sha256, reader.BytesRead, capture, capturedAt, AlreadyStored: false);
            var final = container.GetBlockBlobClient(ArtifactPrefix + sha256);
            if (await final.ExistsAsync(cancellationToken))
            {
                return stored with { AlreadyStored = true };
            }

            await staging.CommitBlockListAsync(
                blockIds,
                new CommitBlockListOptions { HttpHeaders = new BlobHttpHeaders { ContentType = capture.MediaType } },
                cancellationToken);
            committed = true;
            return await CopyOnceAsync(staging, final, stored, cancellationToken)
                ? stored
                : stored with { AlreadyStored = true };
        }
        finally
        {
            await DiscardStagingAsync(staging, committed, blockIds.Count > 0);
        }
    }

    /// <summary>The artifact's bytes, streamed, or null when the vault has no such artifact.</summary>
    public async Task<Stream?> OpenAsync(string sha256, CancellationToken cancellationToken)
    {
        if (!ContentHash.IsSha256Hex(sha256))
        {
            return null;
        }

        try
        {
            return await container.GetBlobClient(ArtifactPrefix + sha256).OpenReadAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>The artifact's first capture, or null when the vault has no such artifact.</summary>
    public async Task<StoredArtifact?> GetAsync(string sha256, CancellationToken cancellationToken)
    {
        if (!ContentHash.IsSha256Hex(sha256))
        {
            return null;
        }

        try
        {
            var properties = (await container.GetBlobClient(ArtifactPrefix + sha256).GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            var m = properties.Metadata;
            var capture = new ArtifactCapture(Read(m, "requirement"), Read(m, "name"), Read(m, "mediatype"), Read(m, "capturedby"));
            var capturedAt = DateTimeOffset.Parse(Read(m, "capturedat"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            return new StoredArtifact(sha256, properties.ContentLength, capture, capturedAt, AlreadyStored: true);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Copies staging to its final name only if no blob has that name; false when one already had.</summary>
    private static async Task<bool> CopyOnceAsync(BlockBlobClient staging, BlockBlobClient final, StoredArtifact stored, CancellationToken cancellationToken)
    {
        try
        {
            var copy = await final.StartCopyFromUriAsync(
                staging.Uri,
                new BlobCopyFromUriOptions
                {
                    Metadata = Metadata(stored),
                    DestinationConditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                },
                cancellationToken);
            await copy.WaitForCompletionAsync(cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    /// <summary>
    /// Committing an empty block list drops a blob's uncommitted blocks; deleting it then leaves no trace. Runs even
    /// when the upload was cancelled, so it does not take the caller's token.
    /// </summary>
    private static async Task DiscardStagingAsync(BlockBlobClient staging, bool committed, bool staged)
    {
        if (!committed && !staged)
        {
            return;
        }

        try
        {
            if (!committed)
            {
                await staging.CommitBlockListAsync([]);
            }

            await staging.DeleteIfExistsAsync();
        }
        catch (RequestFailedException)
        {
            // Best effort: uncommitted blocks expire by themselves after seven days, and staging is never read.
        }
    }

    private static Stream AsStream(ReadOnlyMemory<byte> block) =>
        MemoryMarshal.TryGetArray(block, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(block.ToArray(), writable: false);

    private static Dictionary<string, string> Metadata(StoredArtifact stored) => new()
    {
        // Metadata travels as HTTP headers: ASCII only, so free text is percent-encoded.
        ["requirement"] = Uri.EscapeDataString(stored.Capture.Requirement),
        ["name"] = Uri.EscapeDataString(stored.Capture.Name),
        ["mediatype"] = Uri.EscapeDataString(stored.Capture.MediaType),
        ["capturedby"] = Uri.EscapeDataString(stored.Capture.CapturedBy),
        ["capturedat"] = stored.CapturedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        ["size"] = stored.Size.ToString(CultureInfo.InvariantCulture),
    };

    private static string Read(IDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var value) ? Uri.UnescapeDataString(value) : "";

    private static void ValidateCapture(ArtifactCapture capture)
    {
        ArgumentNullException.ThrowIfNull(capture);
        ArgumentException.ThrowIfNullOrWhiteSpace(capture.Requirement, nameof(capture.Requirement));
        ArgumentException.ThrowIfNullOrWhiteSpace(capture.Name, nameof(capture.Name));
        ArgumentException.ThrowIfNullOrWhiteSpace(capture.MediaType, nameof(capture.MediaType));
        ArgumentException.ThrowIfNullOrWhiteSpace(capture.CapturedBy, nameof(capture.CapturedBy));
    }
}
