using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Ledger;

namespace Panaptico.Storage.Drift;

/// <summary>One object of the implementation graph as stored: the domain's JSON and the graph version that last changed it.</summary>
public sealed record StoredGraphObject(string ObjectId, JsonObject Json, long Version);

/// <summary>The implementation graph at one version.</summary>
public sealed record StoredGraph(long Version, IReadOnlyList<StoredGraphObject> Objects);

/// <summary>
/// The implementation graph (intent), versioned: one partition holding a version row, one row per object and one
/// marker row per applied change. A change writes its objects, the next version and its marker in one transaction,
/// so a change applied twice (a retried activity, a repeated request) lands once; then its ledger record (the
/// domain's <c>intent.changed</c> entry, whose entry id is the version it made).
/// </summary>
public sealed class GraphStore(DriftTables tables, ILedgerAppender ledger)
{
    private const string Partition = "graph";
    private const string VersionRow = "~version";
    private const int MaxOperations = 100;

    private TableClient Table => tables.Graph;

    public async Task<StoredGraph> ReadAsync(CancellationToken cancellationToken)
    {
        long version = 0;
        var objects = new List<StoredGraphObject>();
        foreach (var row in await DriftTables.ReadAllAsync(Table, Partition, cancellationToken))
        {
            if (row.RowKey == VersionRow)
            {
                version = row.GetInt64("Version") ?? 0;
            }
            else if (row.RowKey.StartsWith("o-", StringComparison.Ordinal))
            {
                objects.Add(new StoredGraphObject(row.GetString("ObjectId"), (JsonObject)JsonNode.Parse(row.GetString("Json"))!, row.GetInt64("Version") ?? 0));
            }
        }
        return new StoredGraph(version, objects);
    }

    public async Task<StoredGraphObject?> GetAsync(string objectId, CancellationToken cancellationToken)
    {
        var row = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, ObjectRow(objectId), cancellationToken: cancellationToken);
        return row.HasValue
            ? new StoredGraphObject(objectId, (JsonObject)JsonNode.Parse(row.Value!.GetString("Json"))!, row.Value.GetInt64("Version") ?? 0)
            : null;
    }

    /// <summary>
    /// Writes the graph version <paramref name="expectedVersion"/> + 1 once per <paramref name="changeId"/>: the objects
    /// it defines or changes, the objects it removes, then its ledger <paramref name="entry"/>. Returns the version the
    /// change made (now or the first time), or null when the graph is no longer at <paramref name="expectedVersion"/>
    /// (decide again on the fresh graph).
    /// </summary>
    public async Task<long?> ApplyAsync(
        string changeId, long expectedVersion, IReadOnlyList<(string ObjectId, JsonObject Json)> objects, IReadOnlyList<string> removed,
        LedgerEntry entry, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(changeId);
        ArgumentNullException.ThrowIfNull(entry);
        if (await AppliedAsync(changeId, cancellationToken) is { } done)
        {
            await ledger.AppendAsync(entry, cancellationToken);
            return done;
        }
        var current = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, VersionRow, cancellationToken: cancellationToken);
        if ((current.HasValue ? current.Value!.GetInt64("Version") ?? 0 : 0) != expectedVersion)
        {
            return null;
        }
        var version = expectedVersion + 1;
        try
        {
            await WriteAsync(changeId, objects, removed, version, current.HasValue ? current.Value!.ETag : (ETag?)null, cancellationToken);
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
        {
            // Another change took this version, or this one landed meanwhile.
            if (await AppliedAsync(changeId, cancellationToken) is not { } landed)
            {
                return null;
            }
            version = landed;
        }
        await ledger.AppendAsync(entry, cancellationToken);
        return version;
    }

    /// <summary>The version a change made, when it was applied.</summary>
    public async Task<long?> AppliedAsync(string changeId, CancellationToken cancellationToken)
    {
        var marker = await Table.GetEntityIfExistsAsync<TableEntity>(Partition, MarkerRow(changeId), cancellationToken: cancellationToken);
        return marker.HasValue ? marker.Value!.GetInt64("Version") : null;
    }

    private async Task WriteAsync(
        string changeId, IReadOnlyList<(string ObjectId, JsonObject Json)> objects, IReadOnlyList<string> removed, long version, ETag? versionETag,
        CancellationToken cancellationToken)
    {
        // Objects first in full batches; the last batch carries the version row and the marker, so the version moves
        // (and the change counts as applied) only when every object is written.
        var rows = objects.Select(o => new TableEntity(Partition, ObjectRow(o.ObjectId))
        {
            ["ObjectId"] = o.ObjectId,
            ["Json"] = o.Json.ToJsonString(),
            ["Version"] = version,
        }).Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, r))
        .Concat(removed.Select(id => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, ObjectRow(id)), ETag.All)))
        .ToList();
        var head = rows.Count > MaxOperations - 2 ? rows[..^(MaxOperations - 2)] : [];
        foreach (var chunk in head.Chunk(MaxOperations))
        {
            await Table.SubmitTransactionAsync(chunk, cancellationToken);
        }
        var last = rows.Skip(head.Count).ToList();
        var versionRow = new TableEntity(Partition, VersionRow) { ["Version"] = version };
        last.Add(versionETag is { } etag
            ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, versionRow, etag)
            : new TableTransactionAction(TableTransactionActionType.Add, versionRow));
        last.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(Partition, MarkerRow(changeId))
        {
            ["ChangeId"] = changeId,
            ["Version"] = version,
        }));
        await Table.SubmitTransactionAsync(last, cancellationToken);
    }

    private static string ObjectRow(string objectId) => "o-" + DriftTables.Key(objectId);

    private static string MarkerRow(string changeId) => "c-" + DriftTables.Key(changeId);
}
