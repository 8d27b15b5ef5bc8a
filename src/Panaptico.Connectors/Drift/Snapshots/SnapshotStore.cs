using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Panaptico.Connectors.Drift.Snapshots;

/// <summary>What a push did: stored (or found already stored, a retried push), and whether it is now the object's latest.</summary>
public sealed record SnapshotStored(Snapshot Snapshot, bool Created, bool IsLatest);

/// <summary>The snapshots pushed per object, and which one is the latest observation.</summary>
public interface ISnapshotStore
{
    /// <summary>
    /// Keeps <paramref name="snapshot"/> once under its id and moves the object's latest pointer to it unless a later
    /// observation is already there (a late push is kept but does not go back in time).
    /// </summary>
    /// <exception cref="SnapshotConflictException">The id is already stored with other content.</exception>
    Task<SnapshotStored> PutAsync(Snapshot snapshot, CancellationToken ct);

    /// <summary>The latest observation of the object, or null when nothing was pushed for it.</summary>
    Task<Snapshot?> LatestAsync(string objectId, CancellationToken ct);
}

/// <summary>A snapshot id reused for different content: 409 at the API, nothing written.</summary>
public sealed class SnapshotConflictException : Exception
{
    public const string ConflictCode = "drift.snapshot-conflict";

    public SnapshotConflictException(string snapshotId, string objectId)
        : base($"snapshot {snapshotId} of {objectId} is already stored with other content")
    {
        SnapshotId = snapshotId;
        ObjectId = objectId;
    }

    public SnapshotConflictException()
        : this("", "")
    {
    }

    public SnapshotConflictException(string message)
        : base(message)
    {
        SnapshotId = "";
        ObjectId = "";
    }

    public SnapshotConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
        SnapshotId = "";
        ObjectId = "";
    }

    public string SnapshotId { get; }

    public string ObjectId { get; }
}

/// <summary>
/// Snapshots as blobs: <c>{object}/snapshots/{snapshotId}.json</c>, created once (If-None-Match: *), and
/// <c>{object}/latest.json</c> naming the latest one, moved only forward in observation time and only over the
/// version it read (If-Match), so concurrent pushes cannot move it backwards.
/// </summary>
public sealed class BlobSnapshotStore(BlobContainerClient container) : ISnapshotStore
{
    private const int PointerAttempts = 5;

    public Task EnsureCreatedAsync(CancellationToken ct) => container.CreateIfNotExistsAsync(cancellationToken: ct);

    public async Task<SnapshotStored> PutAsync(Snapshot snapshot, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        bool created;
        try
        {
            created = await CreateOnceAsync(snapshot, ct);
        }
        catch (RequestFailedException e) when (e.ErrorCode == "ContainerNotFound")
        {
            // The first push ever: the container is made here rather than at every start.
            await EnsureCreatedAsync(ct);
            created = await CreateOnceAsync(snapshot, ct);
        }
        var isLatest = await MoveLatestAsync(snapshot, ct);
        return new SnapshotStored(snapshot, created, isLatest);
    }

    public async Task<Snapshot?> LatestAsync(string objectId, CancellationToken ct)
    {
        var pointer = await ReadPointerAsync(objectId, ct);
        if (pointer is null)
        {
            return null;
        }
        var content = await container.GetBlobClient(SnapshotBlob(objectId, pointer.Value.Pointer.SnapshotId)).DownloadContentAsync(ct);
        return SnapshotSchemas.Parse(content.Value.Content);
    }

    private async Task<bool> CreateOnceAsync(Snapshot snapshot, CancellationToken ct)
    {
        var blob = container.GetBlobClient(SnapshotBlob(snapshot.ObjectId, snapshot.SnapshotId));
        var json = snapshot.ToJson();
        try
        {
            await blob.UploadAsync(json, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            }, ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // A retried push of the same observation is fine; the same id with other content is not.
            var stored = (await blob.DownloadContentAsync(ct)).Value.Content;
            if (stored.ToString() != json.ToString())
            {
                throw new SnapshotConflictException(snapshot.SnapshotId, snapshot.ObjectId);
            }
            return false;
        }
    }

    private async Task<bool> MoveLatestAsync(Snapshot snapshot, CancellationToken ct)
    {
        var blob = container.GetBlobClient(PointerBlob(snapshot.ObjectId));
        var next = new LatestPointer(snapshot.SnapshotId, snapshot.ObservedAt);
        for (var attempt = 1; ; attempt++)
        {
            var current = await ReadPointerAsync(snapshot.ObjectId, ct);
            if (current is { } c && !IsAfter(next, c.Pointer))
            {
                return c.Pointer.SnapshotId == next.SnapshotId;
            }
            try
            {
                await blob.UploadAsync(BinaryData.FromObjectAsJson(next, SnapshotSchemas.JsonOptions), new BlobUploadOptions
                {
                    Conditions = current is { } read ? new BlobRequestConditions { IfMatch = read.ETag } : new BlobRequestConditions { IfNoneMatch = ETag.All },
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                }, ct);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412 && attempt < PointerAttempts)
            {
                // Another push moved the pointer between our read and write: read it again and compare.
            }
        }
    }

    private async Task<(LatestPointer Pointer, ETag ETag)?> ReadPointerAsync(string objectId, CancellationToken ct)
    {
        try
        {
            var content = (await container.GetBlobClient(PointerBlob(objectId)).DownloadContentAsync(ct)).Value;
            var pointer = content.Content.ToObjectFromJson<LatestPointer>(SnapshotSchemas.JsonOptions)
                ?? throw new InvalidDataException($"the latest pointer of {objectId} is empty");
            return (pointer, content.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    // Later observation wins; on the same instant the greater id, so every store agrees whatever the push order.
    private static bool IsAfter(LatestPointer candidate, LatestPointer current) =>
        candidate.ObservedAt > current.ObservedAt
        || (candidate.ObservedAt == current.ObservedAt && string.CompareOrdinal(candidate.SnapshotId, current.SnapshotId) > 0);

    // Object ids hold '/' and other characters: one escaped path segment per object.
    private static string ObjectFolder(string objectId) => Uri.EscapeDataString(objectId);

    private static string SnapshotBlob(string objectId, string snapshotId) => $"{ObjectFolder(objectId)}/snapshots/{snapshotId}.json";

    private static string PointerBlob(string objectId) => $"{ObjectFolder(objectId)}/latest.json";

    private sealed record LatestPointer(string SnapshotId, DateTimeOffset ObservedAt);
}
