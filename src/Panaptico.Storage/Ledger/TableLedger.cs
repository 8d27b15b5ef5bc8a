using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Canonical;
using Panaptico.Core.Ledger;

namespace Panaptico.Storage.Ledger;

/// <summary>
/// The audit ledger on Azure Table storage: one partition, a <c>head</c> row, one row per record (row key = seq in 19
/// digits, so every seq range leaves the other rows out) and one <c>id-</c> row per entry id.
/// </summary>
/// <remarks>
/// Appends are batched: callers queue entries; one flusher per instance takes up to 99 rows' worth of them, and
/// commits them in ONE entity-group transaction together with the head row, guarded by the head's ETag. Two instances
/// that read the same head cannot both commit (the loser gets 412 and recomputes seq, prev and hash from the new head),
/// record rows are inserted with Add (a reused seq fails with 409), so the ledger can neither fork, skip nor reuse a seq.
/// The head row also carries the Merkle frontier, so the tree head is one point read, and each batch's first record
/// carries the frontier before it, so an export of any range can start its tree without reading from seq 0.
/// Under contention, racing is wasteful (a lost transaction costs the store as much as a won one), so the head also
/// names a claimant: the instance committing a short run of batches. Others wait while its head keeps moving and go
/// ahead when it releases or stalls. The claim only spares work; the ETag alone guarantees correctness.
/// An entry with an <see cref="LedgerEntry.EntryId"/> also adds its id row (row key <c>id-</c> + SHA-256 of the id,
/// holding the seq) in the same transaction, so an id the ledger holds fails the transaction with 409; the flusher then
/// answers that entry with the record the id row names and commits the rest. Equal ids queued in one batch share the
/// first one's record. So an id is appended once, by any number of instances, with no extra round trip per append;
/// an entry with an id takes two of a transaction's 100 rows.
/// Times never go backwards along seq (at = max(clock, previous at)), so a time range is a seq range.
/// One partition keeps the head and records transactable together; in Azure that partition's target (about
/// 2,000 entities/s) bounds throughput.
/// </remarks>
public sealed class TableLedger : ILedgerAppender, IAsyncDisposable
{
    public const string Partition = "ledger";
    public const string HeadRowKey = "head";
    public const string CheckpointPartition = "checkpoints";

    /// <summary>An entity-group transaction holds at most 100 entities: the head and 99 records and id rows.</summary>
    public const int MaxRowsPerBatch = 100;

    /// <summary>At most this many records per batch (fewer when entries carry ids).</summary>
    public const int MaxRecordsPerBatch = MaxRowsPerBatch - 1;

    /// <summary>Row keys of entry id rows start with this; they sort after <see cref="HeadRowKey"/> and every seq.</summary>
    public const string EntryIdRowPrefix = "id-";

    private const int RecentBatches = 64;

    /// <summary>How many consecutive batches one instance may commit before it lets a waiting instance in.</summary>
    private const int MaxBatchesPerClaim = 8;

    /// <summary>How many unchanged looks at a claimed head mean its claimant stopped.</summary>
    private const int StalledPolls = 5;

    private static readonly TimeSpan ClaimPoll = TimeSpan.FromMilliseconds(40);
    private const int MaxBatchPayloadBytes = 1_500_000;

    private readonly TableClient _table;
    private readonly TimeProvider _time;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(); // multi-reader form: it can Count
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _startLock = new();
    private Task? _flusher;
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private LedgerHead? _cachedHead;
    private int _claimRun;
    private bool _yieldNext;

    public TableLedger(TableClient table, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(time);
        _table = table;
        _time = time;
    }

    /// <summary>Transactions committed by this instance (for diagnostics and the benchmark).</summary>
    public long Commits { get; private set; }

    /// <summary>Transactions that lost the race for the head and were recomputed.</summary>
    public long Conflicts { get; private set; }

    /// <summary>Times this instance waited for another instance's run of batches.</summary>
    public long Waits { get; private set; }

    public Task EnsureCreatedAsync(CancellationToken cancellationToken) => _table.CreateIfNotExistsAsync(cancellationToken);

    /// <summary>
    /// Queues the entry; completes with the record when the transaction holding it has committed. Cancellation is
    /// honoured only before the entry is queued. If the store fails mid-commit the task faults, and (as with any
    /// remote write) the record may nevertheless have been committed.
    /// </summary>
    public Task<LedgerRecord> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        cancellationToken.ThrowIfCancellationRequested();
        Validate(entry);
        EnsureFlusher();
        var pending = new Pending(entry, new TaskCompletionSource<LedgerRecord>(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);

        return pending.Done.Task;
    }

    private static void Validate(LedgerEntry entry)
    {
        foreach (var (name, value) in new[] { ("stream", entry.Stream), ("kind", entry.Kind), ("subject", entry.Subject), ("actor", entry.Actor) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException($"A ledger entry needs a {name}.", nameof(entry));
            }
        }

        if (entry.EntryId is { } id && string.IsNullOrWhiteSpace(id))
        {
            throw new ArgumentException("An entry id, when given, must not be blank.", nameof(entry));
        }

        // Seal with a placeholder position to learn the exact size and reject what a Table row cannot hold.
        var probe = LedgerRecordFormat.Seal(long.MaxValue / 2, DateTimeOffset.UnixEpoch, entry, new string('0', 64));
        var size = LedgerRecordFormat.CanonicalBytes(probe).Length;
        if (size > LedgerRecordFormat.MaxRecordBytes)
        {
            throw new ArgumentException(
                $"A ledger record is at most {LedgerRecordFormat.MaxRecordBytes} bytes of canonical JSON; this one is {size}. Record references (hashes, ids), not payloads.",
                nameof(entry));
        }
    }

    private void EnsureFlusher()
    {
        if (_flusher is not null)
        {
            return;
        }

        lock (_startLock)
        {
            _flusher ??= Task.Run(FlushLoopAsync);
        }
    }

    private async Task FlushLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(MaxRecordsPerBatch);
        var ids = new Dictionary<string, Pending>(StringComparer.Ordinal);
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                var budget = 0;
                var rows = 1; // the head
                while (budget < MaxBatchPayloadBytes && reader.TryPeek(out var next))
                {
                    if (next.Entry.EntryId is { } id && ids.TryGetValue(id, out var first))
                    {
                        reader.TryRead(out _);
                        first.AddDuplicate(next);
                        continue;
                    }

                    if (rows + next.Rows > MaxRowsPerBatch)
                    {
                        break;
                    }

                    reader.TryRead(out _);
                    batch.Add(next);
                    rows += next.Rows;
                    budget += 2 * (next.Entry.Data?.ToJsonString().Length ?? 0) + 600;
                    if (next.Entry.EntryId is { } newId)
                    {
                        ids[newId] = next;
                    }
                }

                try
                {
                    await CommitAsync(batch, _stopping.Token);
                }
                catch (Exception ex)
                {
                    foreach (var pending in batch)
                    {
                        pending.Fail(ex);
                    }
                }

                batch.Clear();
                ids.Clear();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }

        while (reader.TryRead(out var left))
        {
            left.Fail(new ObjectDisposedException(nameof(TableLedger)));
        }
    }

    private async Task CommitAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        var contended = _yieldNext;
        if (_yieldNext)
        {
            // We just ended a run of batches while others may be waiting for the head: let one of them in.
            _yieldNext = false;
            _cachedHead = null;
            await Task.Delay(ClaimPoll + ClaimPoll / 2, cancellationToken);
        }

        var head = _cachedHead ?? await ReadHeadAsync(cancellationToken);
        var batchId = Guid.NewGuid().ToString("N")[..16];
        ETag? watched = null;
        var unchanged = 0;
        while (true)
        {
            if (head.Claim.Length > 0 && head.Claim != _instance)
            {
                // Another instance is committing a run of batches. Racing it would only waste whole transactions,
                // so wait while it makes progress; if it stops (crashed, or its run ended silently), go ahead.
                unchanged = head.ETag == watched ? unchanged + 1 : 0;
                watched = head.ETag;
                contended = true;
                if (unchanged < StalledPolls)
                {
                    Waits++;
                    await Task.Delay(ClaimPoll + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 10)), cancellationToken);
                    head = await ReadHeadAsync(cancellationToken);
                    continue;
                }
            }

            if (contended && head.Claim != _instance && head.ETag != default)
            {
                // Others are about: claim the head with a small request first, so losing a race costs little.
                try
                {
                    var claimed = head with { Claim = _instance };
                    var response = await _table.UpdateEntityAsync(HeadEntity(claimed), head.ETag, TableUpdateMode.Replace, cancellationToken);
                    head = claimed with { ETag = response.Headers.ETag ?? default };
                }
                catch (RequestFailedException ex) when (ex.Status is 412 or 404)
                {
                    Conflicts++;
                    head = await ReadHeadAsync(cancellationToken);
                    continue;
                }
            }

            // Keep the claim while this instance has more to commit, up to a run of MaxBatchesPerClaim.
            var keepClaim = _claimRun + 1 < MaxBatchesPerClaim && _queue.Reader.Count > 0;
            var (records, entities, newHead) = Build(batch, head, batchId, keepClaim ? _instance : "");
            try
            {
                var response = await _table.SubmitTransactionAsync(entities, cancellationToken);
                _cachedHead = newHead with { ETag = response.Value[0].Headers.ETag ?? default };
                Commits++;
                _claimRun = keepClaim ? _claimRun + 1 : 0;
                _yieldNext = !keepClaim && _queue.Reader.Count > 0;
                Complete(batch, records);
                return;
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 412 or 409 or 404)
            {
                Conflicts++;
                contended = true;
                _claimRun = 0;
                _cachedHead = null;
                head = await ReadHeadAsync(cancellationToken);

                // A transport retry may have committed our batch before the conflict we saw: the head lists recent batches.
                if (head.RecentBatches.Contains($"{records[0].Seq}:{batchId}"))
                {
                    Complete(batch, records);
                    return;
                }

                // Past the head, only an id row fails with 409: answer the entries whose id is taken, commit the rest.
                if (ex.Status == 409 && ex.FailedTransactionActionIndex is not 0)
                {
                    await CompleteTakenIdsAsync(batch, cancellationToken);
                    if (batch.Count == 0)
                    {
                        return;
                    }
                }
            }
        }
    }

    private static void Complete(List<Pending> batch, IReadOnlyList<LedgerRecord> records)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Complete(records[i]);
        }
    }

    /// <summary>Completes and removes the entries whose id the ledger already holds, with the record it holds.</summary>
    private async Task CompleteTakenIdsAsync(List<Pending> batch, CancellationToken cancellationToken)
    {
        // Point reads: a filter or-ing row keys would scan the whole partition.
        var withIds = batch.Where(p => p.Entry.EntryId is not null).ToList();
        var found = await Task.WhenAll(withIds.Select(p => FindAsync(p.Entry.EntryId!, cancellationToken)));
        for (var i = 0; i < withIds.Count; i++)
        {
            if (found[i] is { } record)
            {
                withIds[i].Complete(record);
                batch.Remove(withIds[i]);
            }
        }
    }

    /// <summary>The record appended with this entry id, or null when the ledger holds none.</summary>
    public async Task<LedgerRecord?> FindAsync(string entryId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entryId);
        var index = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, EntryIdRowKey(entryId), ["Seq"], cancellationToken);
        if (!index.HasValue)
        {
            return null;
        }

        // The id row and its record commit in one transaction: one without the other is a damaged table.
        var seq = index.Value!.GetInt64("Seq") ?? throw new InvalidOperationException($"The ledger's row for entry id '{entryId}' names no seq.");
        var row = await _table.GetEntityAsync<TableEntity>(Partition, RowKey(seq), ["Record"], cancellationToken);
        return LedgerRecordFormat.Parse(System.Text.Encoding.UTF8.GetBytes(row.Value.GetString("Record")));
    }

    private (List<LedgerRecord> Records, List<TableTransactionAction> Actions, LedgerHead NewHead) Build(
        List<Pending> batch, LedgerHead head, string batchId, string claim)
    {
        var records = new List<LedgerRecord>(batch.Count);
        var actions = new List<TableTransactionAction>(2 * batch.Count + 1);
        var frontier = head.Tree.Clone();
        var frontierBefore = frontier.Format();
        var now = _time.GetUtcNow();
        var at = now > head.LastAt ? now : head.LastAt;
        var prev = head.LastHash;
        foreach (var pending in batch)
        {
            var record = LedgerRecordFormat.Seal(frontier.Size, at, pending.Entry, prev);
            var line = LedgerRecordFormat.CanonicalBytes(record);
            var entity = new TableEntity(Partition, RowKey(record.Seq))
            {
                ["Record"] = System.Text.Encoding.UTF8.GetString(line),
                ["At"] = LedgerRecordFormat.FormatTime(record.At),
                ["Hash"] = record.Hash,
                ["Batch"] = batchId,
            };
            if (records.Count == 0)
            {
                entity["FrontierBefore"] = frontierBefore;
            }

            frontier.AppendLeaf(line);
            records.Add(record);
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, entity));
            if (pending.Entry.EntryId is { } id)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add,
                    new TableEntity(Partition, EntryIdRowKey(id)) { ["Seq"] = record.Seq, ["EntryId"] = id }));
            }
            prev = record.Hash;
        }

        var recent = head.RecentBatches.Prepend($"{records[0].Seq}:{batchId}").Take(RecentBatches).ToList();
        var newHead = new LedgerHead(frontier, prev, at, recent, default) { Claim = claim };
        var headEntity = HeadEntity(newHead);

        // The head goes first so a stale writer fails on its first operation, before the store touches any record.
        actions.Insert(0, head.ETag == default
            ? new TableTransactionAction(TableTransactionActionType.Add, headEntity)
            : new TableTransactionAction(TableTransactionActionType.UpdateReplace, headEntity, head.ETag));
        return (records, actions, newHead);
    }

    private static TableEntity HeadEntity(LedgerHead head) => new(Partition, HeadRowKey)
    {
        ["Size"] = head.Tree.Size,
        ["LastHash"] = head.LastHash ?? "",
        ["LastAt"] = LedgerRecordFormat.FormatTime(head.LastAt),
        ["Frontier"] = head.Tree.Format(),
        ["Batches"] = string.Join(' ', head.RecentBatches),
        ["Claim"] = head.Claim,
    };

    /// <summary>The current head: tree size (= next seq), last hash and time, Merkle frontier, ETag.</summary>
    public async Task<LedgerHead> ReadHeadAsync(CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, HeadRowKey, cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            return LedgerHead.Empty;
        }

        var e = response.Value!;
        var size = e.GetInt64("Size") ?? 0;
        var lastHash = e.GetString("LastHash");
        var lastAt = LedgerRecordFormat.TryParseTime(e.GetString("LastAt") ?? "", out var parsed) ? parsed : DateTimeOffset.MinValue;
        var batches = (e.GetString("Batches") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new LedgerHead(MerkleFrontier.Parse(size, e.GetString("Frontier") ?? ""), string.IsNullOrEmpty(lastHash) ? null : lastHash,
            lastAt, batches, e.ETag)
        { Claim = e.GetString("Claim") ?? "" };
    }

    /// <summary>Canonical record lines for seq in [<paramref name="fromSeq"/>, <paramref name="toSeq"/>], in seq order.</summary>
    public async IAsyncEnumerable<string> ReadCanonicalAsync(long fromSeq, long toSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (toSeq < fromSeq)
        {
            yield break;
        }

        var filter = $"PartitionKey eq '{Partition}' and RowKey ge '{RowKey(fromSeq)}' and RowKey le '{RowKey(toSeq)}'";
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["Record"], cancellationToken: cancellationToken))
        {
            yield return entity.GetString("Record");
        }
    }

    /// <summary>Records for seq in [<paramref name="fromSeq"/>, <paramref name="toSeq"/>], in seq order.</summary>
    public async IAsyncEnumerable<LedgerRecord> ReadRangeAsync(long fromSeq, long toSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var line in ReadCanonicalAsync(fromSeq, toSeq, cancellationToken))
        {
            yield return LedgerRecordFormat.Parse(System.Text.Encoding.UTF8.GetBytes(line));
        }
    }

    /// <summary>
    /// The seq range of records with <c>from &lt;= at &lt; to</c> (either end open when null); null when none.
    /// Times are non-decreasing along seq, so this is one contiguous range.
    /// </summary>
    public async Task<(long First, long Last)?> FindSeqRangeAsync(DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var head = await ReadHeadAsync(cancellationToken);
        if (head.Tree.Size == 0)
        {
            return null;
        }

        var first = from is { } f ? await FirstSeqAtOrAfterAsync(f, cancellationToken) ?? head.Tree.Size : 0;
        var end = to is { } t ? await FirstSeqAtOrAfterAsync(t, cancellationToken) ?? head.Tree.Size : head.Tree.Size;
        return end > first ? (first, end - 1) : null;
    }

    private async Task<long?> FirstSeqAtOrAfterAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        // At is stored as fixed-width UTC text, so text order is time order.
        var filter = $"PartitionKey eq '{Partition}' and RowKey lt '{HeadRowKey}' and At ge '{LedgerRecordFormat.FormatTime(at)}'";
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, maxPerPage: 1, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            return long.Parse(entity.RowKey, CultureInfo.InvariantCulture);
        }

        return null;
    }

    /// <summary>The Merkle tree of the first <paramref name="size"/> records, and the hash of record size-1 (null at 0).</summary>
    public async Task<(MerkleFrontier Tree, string? LastHash)> ReadTreeAtAsync(long size, CancellationToken cancellationToken)
    {
        if (size == 0)
        {
            return (new MerkleFrontier(), null);
        }

        // Each batch's first record stores the frontier before it; batches hold at most 99 records, so one is near.
        var from = Math.Max(0, size - MaxRecordsPerBatch - 1);
        var filter = $"PartitionKey eq '{Partition}' and RowKey ge '{RowKey(from)}' and RowKey le '{RowKey(size)}'";
        var rows = new List<TableEntity>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, select: ["RowKey", "Record", "FrontierBefore", "Hash"], cancellationToken: cancellationToken))
        {
            rows.Add(entity);
        }

        var start = rows.FindLastIndex(r => long.Parse(r.RowKey, CultureInfo.InvariantCulture) <= size && r.GetString("FrontierBefore") is not null);
        if (start < 0)
        {
            throw new InvalidOperationException($"No stored tree state within {MaxRecordsPerBatch} records before seq {size}.");
        }

        var startSeq = long.Parse(rows[start].RowKey, CultureInfo.InvariantCulture);
        var tree = MerkleFrontier.Parse(startSeq, rows[start].GetString("FrontierBefore"));
        string? lastHash = null;
        foreach (var row in rows.Skip(start).TakeWhile(r => long.Parse(r.RowKey, CultureInfo.InvariantCulture) < size))
        {
            tree.AppendLeaf(System.Text.Encoding.UTF8.GetBytes(row.GetString("Record")));
            lastHash = row.GetString("Hash");
        }

        if (tree.Size != size)
        {
            throw new InvalidOperationException($"Records before seq {size} are missing from the table.");
        }

        lastHash ??= rows.LastOrDefault(r => long.Parse(r.RowKey, CultureInfo.InvariantCulture) == size - 1)?.GetString("Hash");
        return (tree, lastHash);
    }

    /// <summary>
    /// Signs the current tree head and keeps it in the <c>checkpoints</c> partition (row key = tree size), so
    /// auditors and proofs can refer to published heads. Returns the signed checkpoint.
    /// </summary>
    public async Task<SignedCheckpoint> PublishCheckpointAsync(ICheckpointSigner signer, string origin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var head = await ReadHeadAsync(cancellationToken);
        var signed = await SignedCheckpoint.SignAsync(head.Checkpoint(origin), signer, cancellationToken);
        await _table.UpsertEntityAsync(
            new TableEntity(CheckpointPartition, RowKey(head.Size)) { ["Note"] = signed.Format() }, TableUpdateMode.Replace, cancellationToken);
        return signed;
    }

    /// <summary>The most recently published signed checkpoint, or null when none was published.</summary>
    public async Task<SignedCheckpoint?> ReadLatestCheckpointAsync(CancellationToken cancellationToken)
    {
        SignedCheckpoint? latest = null;
        await foreach (var row in _table.QueryAsync<TableEntity>($"PartitionKey eq '{CheckpointPartition}'", select: ["Note"], cancellationToken: cancellationToken))
        {
            latest = SignedCheckpoint.Parse(row.GetString("Note")); // ascending row keys: the last is the largest tree
        }

        return latest;
    }

    public static string RowKey(long seq) => seq.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>The row key of an entry id's row: hashed, since ids may hold characters row keys may not.</summary>
    public static string EntryIdRowKey(string entryId) =>
        EntryIdRowPrefix + ContentHash.Sha256Hex(System.Text.Encoding.UTF8.GetBytes(entryId));

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_flusher is not null)
        {
            await _flusher;
        }

        _stopping.Dispose();
    }

    private sealed class Pending(LedgerEntry entry, TaskCompletionSource<LedgerRecord> done)
    {
        /// <summary>Appends of the same id queued in the same batch: they get this entry's record.</summary>
        private List<Pending>? _duplicates;

        public LedgerEntry Entry => entry;

        public TaskCompletionSource<LedgerRecord> Done => done;

        /// <summary>Rows the entry adds: its record, and its id row when it has an id.</summary>
        public int Rows => entry.EntryId is null ? 1 : 2;

        public void AddDuplicate(Pending duplicate) => (_duplicates ??= []).Add(duplicate);

        public void Complete(LedgerRecord record)
        {
            Done.TrySetResult(record);
            _duplicates?.ForEach(d => d.Done.TrySetResult(record));
        }

        public void Fail(Exception error)
        {
            Done.TrySetException(error);
            _duplicates?.ForEach(d => d.Done.TrySetException(error));
        }
    }
}

/// <summary>The ledger's head row: the tree (size = next seq, frontier), last hash and time, recent batch ids, ETag.</summary>
public sealed record LedgerHead(MerkleFrontier Tree, string? LastHash, DateTimeOffset LastAt, IReadOnlyList<string> RecentBatches, ETag ETag)
{
    public static LedgerHead Empty => new(new MerkleFrontier(), null, DateTimeOffset.MinValue, [], default);

    public long Size => Tree.Size;

    /// <summary>The instance committing a run of batches now ("" when none): others wait instead of racing it.</summary>
    public string Claim { get; init; } = "";

    public Checkpoint Checkpoint(string origin) => Core.Ledger.Checkpoint.For(origin, Tree);
}
