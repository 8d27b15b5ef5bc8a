using System.Globalization;
using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Panaptico.Storage.Evidence;

/// <summary>A pre-change snapshot kept so a change can be rolled back; useless (and deleted by lifecycle) once expired.</summary>
public sealed record RollbackSnapshot(string ChangeId, string Name, long Size, DateTimeOffset CapturedAt, DateTimeOffset ExpiresAt, bool Expired)
{
    /// <summary>Set by <see cref="RollbackVault.PutAsync"/> when this call stored the content; false when an earlier call had.</summary>
    public bool Created { get; init; }
}

public sealed class RollbackSnapshotExpiredException(RollbackSnapshot snapshot)
    : Exception($"rollback snapshot {snapshot.ChangeId}/{snapshot.Name} expired at {snapshot.ExpiresAt:O}")
{
    public RollbackSnapshot Snapshot { get; } = snapshot;
}

/// <summary>
/// Pre-change snapshots, one folder per change record (<c>&lt;changeId&gt;/&lt;name&gt;</c>), written once. In Azure a
/// lifecycle rule deletes them after the retention; the app checks expiry itself (with its clock, not the store's) so it
/// never restores from a snapshot the rule may be deleting, and behaves the same on Azurite.
/// </summary>
public sealed partial class RollbackVault(BlobContainerClient container, TimeProvider time, TimeSpan? retention = null)
{
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(30);

    private readonly TimeSpan _retention = retention ?? DefaultRetention;

    public BlobContainerClient Container => container;

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken) =>
        await container.CreateIfNotExistsAsync(PublicAccessType.None, cancellationToken: cancellationToken);

    /// <summary>Stores a snapshot; a retried step that stores the same name again gets the snapshot already there.</summary>
    public async Task<RollbackSnapshot> PutAsync(string changeId, string name, Stream content, CancellationToken cancellationToken)
    {
        var blob = container.GetBlobClient(BlobName(changeId, name));
        var capturedAt = time.GetUtcNow();
        var created = true;
        try
        {
            await blob.UploadAsync(content, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                Metadata = new Dictionary<string, string> { ["capturedat"] = capturedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) },
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Already stored by an earlier attempt of the same step: keep the first, never overwrite.
            created = false;
        }

        var snapshot = await DescribeAsync(blob, changeId, name, cancellationToken)
            ?? throw new InvalidOperationException($"snapshot {changeId}/{name} vanished after it was written");
        return snapshot with { Created = created };
    }

    /// <summary>Every snapshot of a change, each marked expired or not as of now.</summary>
    public async Task<IReadOnlyList<RollbackSnapshot>> ListAsync(string changeId, CancellationToken cancellationToken)
    {
        var prefix = BlobName(changeId, "x")[..^1];
        var snapshots = new List<RollbackSnapshot>();
        await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = prefix }, cancellationToken))
        {
            snapshots.Add(Describe(changeId, item.Name[prefix.Length..], item.Properties.ContentLength ?? 0, item.Metadata));
        }

        return snapshots;
    }

    /// <summary>Opens a snapshot for restoring.</summary>
    /// <exception cref="RollbackSnapshotExpiredException">The snapshot is past its retention.</exception>
    /// <exception cref="KeyNotFoundException">No such snapshot.</exception>
    public async Task<(RollbackSnapshot Snapshot, Stream Content)> OpenAsync(string changeId, string name, CancellationToken cancellationToken)
    {
        var blob = container.GetBlobClient(BlobName(changeId, name));
        var snapshot = await DescribeAsync(blob, changeId, name, cancellationToken)
            ?? throw new KeyNotFoundException($"no rollback snapshot {changeId}/{name}");
        if (snapshot.Expired)
        {
            throw new RollbackSnapshotExpiredException(snapshot);
        }

        return (snapshot, await blob.OpenReadAsync(cancellationToken: cancellationToken));
    }

    private async Task<RollbackSnapshot?> DescribeAsync(BlobClient blob, string changeId, string name, CancellationToken cancellationToken)
    {
        try
        {
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            return Describe(changeId, name, properties.ContentLength, properties.Metadata);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    private RollbackSnapshot Describe(string changeId, string name, long size, IDictionary<string, string> metadata)
    {
        var capturedAt = DateTimeOffset.Parse(metadata["capturedat"], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        var expiresAt = capturedAt + _retention;
        return new RollbackSnapshot(changeId, name, size, capturedAt, expiresAt, time.GetUtcNow() >= expiresAt);
    }

    private static string BlobName(string changeId, string name)
    {
        if (!SafeName().IsMatch(changeId))
        {
            throw new ArgumentException($"'{changeId}' is not a change id", nameof(changeId));
        }

        if (!SafeName().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a snapshot name (letters, digits, '.', '_', '-')", nameof(name));
        }

        return $"{changeId}/{name}";
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
    private static partial Regex SafeName();
}
