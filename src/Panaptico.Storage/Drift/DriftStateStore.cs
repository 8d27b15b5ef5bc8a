using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Panaptico.Storage.Drift;

/// <summary>The drift memory as stored, with the ETag a sweep must still match to commit the next one.</summary>
public sealed record StoredMemory(JsonObject Json, ETag? ETag);

/// <summary>
/// What sweeps hand each other, in blobs: the drift memory (what was reported, at which value, and what is pending
/// its settle window), committed only if no other sweep committed since it was read (ETag), so two overlapping
/// sweeps never both report a drift; and each sweep's outcome (its actions), kept so a re-run activity carries out
/// the same actions instead of deciding again.
/// </summary>
public sealed class DriftStateStore(BlobContainerClient container)
{
    private const string MemoryBlob = "memory.json";

    public Task EnsureCreatedAsync(CancellationToken cancellationToken) => container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

    public async Task<StoredMemory> ReadMemoryAsync(CancellationToken cancellationToken)
    {
        try
        {
            var content = await container.GetBlobClient(MemoryBlob).DownloadContentAsync(cancellationToken);
            return new StoredMemory((JsonObject)JsonNode.Parse(content.Value.Content.ToString())!, content.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return new StoredMemory([], null);
        }
    }

    /// <summary>Writes the next memory; false when another sweep committed since <paramref name="read"/> was read.</summary>
    public async Task<bool> TryCommitMemoryAsync(JsonObject next, StoredMemory read, CancellationToken cancellationToken)
    {
        var conditions = read.ETag is { } etag ? new BlobRequestConditions { IfMatch = etag } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        try
        {
            await container.GetBlobClient(MemoryBlob).UploadAsync(BinaryData.FromString(next.ToJsonString()), new BlobUploadOptions { Conditions = conditions }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    public Task SaveOutcomeAsync(string sweepId, JsonObject outcome, CancellationToken cancellationToken) =>
        container.GetBlobClient(OutcomeBlob(sweepId)).UploadAsync(BinaryData.FromString(outcome.ToJsonString()), overwrite: true, cancellationToken);

    public async Task<JsonObject?> ReadOutcomeAsync(string sweepId, CancellationToken cancellationToken)
    {
        try
        {
            var content = await container.GetBlobClient(OutcomeBlob(sweepId)).DownloadContentAsync(cancellationToken);
            return (JsonObject)JsonNode.Parse(content.Value.Content.ToString())!;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    private static string OutcomeBlob(string sweepId) => $"sweeps/{sweepId}.json";
}
