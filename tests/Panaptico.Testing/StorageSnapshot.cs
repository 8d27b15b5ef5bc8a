using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;

namespace Panaptico.Testing;

/// <summary>
/// Everything an app holds in storage, by name prefix: every entity of every table (its ETag and properties), every
/// blob of every container, committed or not (its ETag and the SHA-256 of its content), and every queue (its
/// approximate message count and the messages a peek sees). Two snapshots of the same prefixes compare equal only
/// when nothing was written in between: a write that stores the same bytes again still changes an ETag.
/// </summary>
public sealed class StorageSnapshot
{
    private readonly SortedDictionary<string, string> _items;

    private StorageSnapshot(SortedDictionary<string, string> items) => _items = items;

    public int Count => _items.Count;

    /// <param name="prefixes">Names of tables, containers and queues to include: those starting with one of these (ignoring case).</param>
    /// <param name="ignore">Tables, containers or queues to leave out, by full name (bookkeeping that changes on its own, such as lease renewals).</param>
    public static async Task<StorageSnapshot> TakeAsync(string connectionString, IReadOnlyCollection<string> prefixes, Func<string, bool>? ignore = null)
    {
        bool Included(string name) =>
            prefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)) && !(ignore?.Invoke(name) ?? false);

        var items = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var tables = new TableServiceClient(connectionString);
        await foreach (var table in tables.QueryAsync())
        {
            if (!Included(table.Name))
            {
                continue;
            }

            items[$"table {table.Name}"] = "exists";
            await foreach (var entity in tables.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                var properties = string.Join(';', entity.Keys
                    .Where(k => k is not ("Timestamp" or "odata.etag"))
                    .Order(StringComparer.Ordinal)
                    .Select(k => $"{k}={Convert.ToString(entity[k], CultureInfo.InvariantCulture)}"));
                items[$"table {table.Name} {entity.PartitionKey}/{entity.RowKey}"] = $"etag {entity.ETag} sha256 {Sha256(Encoding.UTF8.GetBytes(properties))}";
            }
        }

        var blobs = new BlobServiceClient(connectionString);
        await foreach (var container in blobs.GetBlobContainersAsync())
        {
            if (!Included(container.Name))
            {
                continue;
            }

            items[$"container {container.Name}"] = "exists";
            var client = blobs.GetBlobContainerClient(container.Name);
            await foreach (var blob in client.GetBlobsAsync(new GetBlobsOptions { States = BlobStates.All }))
            {
                var content = blob.Properties.ContentLength > 0 && blob.Deleted is false
                    ? Sha256((await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray())
                    : "empty or uncommitted";
                items[$"blob {container.Name}/{blob.Name}{(blob.VersionId is { } v ? "@" + v : "")}"] = $"etag {blob.Properties.ETag} sha256 {content}";
            }
        }

        var queues = new QueueServiceClient(connectionString);
        await foreach (var queue in queues.GetQueuesAsync())
        {
            if (!Included(queue.Name))
            {
                continue;
            }

            var client = queues.GetQueueClient(queue.Name);
            var properties = await client.GetPropertiesAsync();
            var peeked = await client.PeekMessagesAsync(32);
            var messages = string.Join(',', peeked.Value.Select(m => $"{m.MessageId}:{Sha256(m.Body.ToArray())}").Order(StringComparer.Ordinal));
            items[$"queue {queue.Name}"] = $"~{properties.Value.ApproximateMessagesCount} messages; peeked {messages}";
        }

        return new StorageSnapshot(items);
    }

    /// <summary>What differs from <paramref name="before"/>: added (+), removed (-) and changed (~) items, one a line.</summary>
    public IReadOnlyList<string> DifferencesFrom(StorageSnapshot before)
    {
        ArgumentNullException.ThrowIfNull(before);
        var differences = new List<string>();
        foreach (var (key, value) in _items)
        {
            if (!before._items.TryGetValue(key, out var was))
            {
                differences.Add($"+ {key}: {value}");
            }
            else if (was != value)
            {
                differences.Add($"~ {key}: {was} -> {value}");
            }
        }

        differences.AddRange(before._items.Keys.Where(k => !_items.ContainsKey(k)).Select(k => $"- {k}"));
        return differences;
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
