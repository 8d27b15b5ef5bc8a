using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;
using Panaptico.Testing;

namespace Panaptico.Storage.Tests.Ledger;

public sealed class TableLedgerEntryIdTests : IDisposable
{
    private const string Origin = "panaptico.test/ledger";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 4, 18, 9, 0, 0, TimeSpan.Zero));
    private readonly EcdsaCheckpointSigner _signer = EcdsaCheckpointSigner.Generate(Origin);
    private readonly string _dir = Directory.CreateTempSubdirectory("ledger-ids-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_entry_appended_again_with_its_id_returns_the_first_record_and_appends_nothing()
    {
        var table = await GatedTable.CreateAsync();
        await using var ledger = new TableLedger(table, _time);

        var first = await ledger.AppendAsync(Entry("CHG-114", "CHG-114/fix", attempt: 1), default);
        _time.Advance(TimeSpan.FromMinutes(5));
        var again = await ledger.AppendAsync(Entry("CHG-114", "CHG-114/fix", attempt: 2), default);
        var next = await ledger.AppendAsync(Entry("CHG-115", "CHG-115/fix", attempt: 1), default);

        Assert.Equal(Line(first), Line(again));
        Assert.Equal(1, (int?)again.Data!["attempt"]);
        Assert.Equal(1, next.Seq);
        Assert.Equal(first.Hash, next.Prev);
        Assert.Equal(2, (await ledger.ReadHeadAsync(default)).Size);
        Assert.Equal(Line(first), Line((await ledger.FindAsync("CHG-114/fix", default))!));
        Assert.Null(await ledger.FindAsync("CHG-116/fix", default));
    }

    [Fact]
    public async Task An_id_another_instance_appended_is_answered_with_that_instances_record()
    {
        var table = await GatedTable.CreateAsync();
        await using var a = new TableLedger(table, _time);
        await using var b = new TableLedger(table, _time);

        var first = await a.AppendAsync(Entry("TASK-0412", "seal/task/TASK-0412", attempt: 1), default);
        var retried = await b.AppendAsync(Entry("TASK-0412", "seal/task/TASK-0412", attempt: 2), default);

        Assert.Equal(Line(first), Line(retried));
        Assert.Equal(1, (await b.ReadHeadAsync(default)).Size);
    }

    [Fact]
    public async Task Appends_of_one_id_queued_in_the_same_batch_become_one_record()
    {
        var table = await GatedTable.CreateAsync(holdFirstTransaction: true);
        await using var ledger = new TableLedger(table, _time);
        var blocker = ledger.AppendAsync(Entry("warm-up", null, attempt: 0), default);
        await table.FirstTransactionEntered.Task; // the flusher is busy: what follows queues up as one batch

        var appends = Enumerable.Range(1, 10).Select(i => ledger.AppendAsync(Entry("CHG-114", "CHG-114/verify", attempt: i), default)).ToList();
        table.ReleaseFirstTransaction.SetResult();
        await blocker;
        var records = await Task.WhenAll(appends);

        Assert.All(records, r => Assert.Same(records[0], r));
        Assert.Equal(1, records[0].Seq);
        Assert.Equal(1, (int?)records[0].Data!["attempt"]);
        Assert.Equal(2, (await ledger.ReadHeadAsync(default)).Size);
        Assert.Equal((2, 0), (ledger.Commits, ledger.Conflicts)); // answered inside the batch, not by a failed transaction
    }

    [Fact]
    public async Task Entries_with_ids_fill_a_batch_with_at_most_100_rows()
    {
        var table = await GatedTable.CreateAsync(holdFirstTransaction: true);
        await using var ledger = new TableLedger(table, _time);
        var blocker = ledger.AppendAsync(Entry("warm-up", null, attempt: 0), default);
        await table.FirstTransactionEntered.Task;

        var appends = Enumerable.Range(0, 120).Select(i => ledger.AppendAsync(Entry($"TASK-{i}", $"TASK-{i}/approve", attempt: 1), default)).ToList();
        table.ReleaseFirstTransaction.SetResult();
        await blocker;
        var records = await Task.WhenAll(appends);

        Assert.Equal(Enumerable.Range(1, 120).Select(i => (long)i), records.Select(r => r.Seq).Order());
        Assert.InRange(table.LargestTransaction, TableLedger.MaxRowsPerBatch - 2, TableLedger.MaxRowsPerBatch); // the head, 49 records, 49 id rows
        Assert.Equal(121, (await ledger.ReadHeadAsync(default)).Size);
    }

    [Fact]
    public async Task Two_instances_racing_overlapping_ids_append_each_id_once_and_the_chain_verifies()
    {
        var table = await GatedTable.CreateAsync();
        await using var a = new TableLedger(table, _time);
        await using var b = new TableLedger(table, _time);

        // a appends ids 0..49, b appends ids 25..74: 25 ids race.
        var fromA = Enumerable.Range(0, 50).Select(i => a.AppendAsync(Entry($"CHG-{i}", $"CHG-{i}/fix", attempt: 1), default));
        var fromB = Enumerable.Range(25, 50).Select(i => b.AppendAsync(Entry($"CHG-{i}", $"CHG-{i}/fix", attempt: 2), default));
        var records = await Task.WhenAll(fromA.Concat(fromB));

        var bySubject = records.GroupBy(r => r.Subject).ToList();
        Assert.Equal(75, bySubject.Count);
        Assert.All(bySubject, g => Assert.Single(g.Select(Line).Distinct()));
        Assert.Equal(Enumerable.Range(0, 75).Select(i => (long)i), bySubject.Select(g => g.First().Seq).Order());

        var path = Path.Combine(_dir, "race.jsonl");
        await TableLedgerExport.ExportSeqRangeAsync(a, 0, 74, LedgerExportFormat.Jsonl, path, _signer, _signer.PublicKey, Origin, (null, null), default);
        var verified = await LedgerExportFiles.VerifyAsync(path, _signer.PublicKey, default);
        Assert.True(verified.Ok, verified.Failure?.ToString());
        Assert.Equal(75, verified.Records);
        Assert.Equal(75, (await a.ReadHeadAsync(default)).Size);
    }

    [Fact]
    public async Task Entries_without_an_id_are_appended_every_time_and_add_no_id_rows()
    {
        var table = await GatedTable.CreateAsync();
        await using var ledger = new TableLedger(table, _time);

        var first = await ledger.AppendAsync(Entry("TASK-0412", null, attempt: 1), default);
        var second = await ledger.AppendAsync(Entry("TASK-0412", null, attempt: 1), default);

        Assert.Equal((0, 1), (first.Seq, second.Seq));
        Assert.Empty(await IdRowsAsync(table));
    }

    [Fact]
    public async Task The_id_is_kept_in_its_own_row_and_not_in_the_hashed_record()
    {
        var table = await GatedTable.CreateAsync();
        await using var ledger = new TableLedger(table, _time);
        var entry = Entry("TASK-0412", "TASK-0412/seal", attempt: 1);

        var record = await ledger.AppendAsync(entry, default);

        var expected = LedgerRecordFormat.Seal(0, _time.GetUtcNow(), entry with { EntryId = null }, null);
        Assert.Equal(Line(expected), Line(record));
        var line = Assert.Single(await LinesAsync(ledger, 0, 0));
        Assert.Equal(Line(expected), line);
        Assert.DoesNotContain("TASK-0412/seal", line, StringComparison.Ordinal);
        var idRow = Assert.Single(await IdRowsAsync(table));
        Assert.Equal((TableLedger.EntryIdRowKey("TASK-0412/seal"), 0L), (idRow.RowKey, idRow.GetInt64("Seq")));
    }

    [Fact]
    public async Task An_export_of_a_ledger_with_id_rows_holds_only_the_records_and_verifies()
    {
        var table = await GatedTable.CreateAsync();
        await using var ledger = new TableLedger(table, _time);
        var start = _time.GetUtcNow();
        for (var i = 0; i < 12; i++)
        {
            await ledger.AppendAsync(Entry($"CHG-{i}", i % 3 == 0 ? null : $"CHG-{i}/fix", attempt: 1), default);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        var path = Path.Combine(_dir, "q2.jsonl");
        var metadata = await TableLedgerExport.ExportTimeRangeAsync(ledger, start, null, LedgerExportFormat.Jsonl, path, _signer, _signer.PublicKey, Origin, default);
        var verified = await LedgerExportFiles.VerifyAsync(path, _signer.PublicKey, default);

        Assert.Equal(8, (await IdRowsAsync(table)).Count);
        Assert.Equal(12, File.ReadLines(path).Count());
        Assert.Equal(12, (await LinesAsync(ledger, 0, long.MaxValue / 2)).Count);
        Assert.True(verified.Ok, verified.Failure?.ToString());
        Assert.Equal((0, 11), (metadata!.FirstSeq, metadata.LastSeq));
        Assert.Equal((await ledger.ReadHeadAsync(default)).Tree.Root(), verified.Root);
    }

    private static LedgerEntry Entry(string subject, string? entryId, int attempt) =>
        new("remediation", "change.fixed", subject, "system:remediation", new JsonObject { ["attempt"] = attempt }) { EntryId = entryId };

    private static string Line(LedgerRecord record) => Encoding.UTF8.GetString(LedgerRecordFormat.CanonicalBytes(record));

    private static async Task<List<string>> LinesAsync(TableLedger ledger, long from, long to)
    {
        var lines = new List<string>();
        await foreach (var line in ledger.ReadCanonicalAsync(from, to, default))
        {
            lines.Add(line);
        }

        return lines;
    }

    private static async Task<List<TableEntity>> IdRowsAsync(TableClient table)
    {
        var rows = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {TableLedger.Partition} and RowKey ge {TableLedger.EntryIdRowPrefix} and RowKey lt {"id."}");
        await foreach (var row in table.QueryAsync<TableEntity>(filter))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>A ledger table whose first transaction waits until the test lets it go, and which notes transaction sizes.</summary>
    private sealed class GatedTable(string connectionString, string tableName) : TableClient(connectionString, tableName)
    {
        private int _transactions;
        private int _largest;

        public TaskCompletionSource FirstTransactionEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource ReleaseFirstTransaction { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int LargestTransaction => _largest;

        public static async Task<GatedTable> CreateAsync(bool holdFirstTransaction = false)
        {
            var table = new GatedTable(await TestStorage.ConnectionStringAsync(), TestStorage.UniqueName("ledgerids"));
            await table.CreateIfNotExistsAsync();
            if (!holdFirstTransaction)
            {
                table.ReleaseFirstTransaction.SetResult();
            }

            return table;
        }

        public override async Task<Response<IReadOnlyList<Response>>> SubmitTransactionAsync(
            IEnumerable<TableTransactionAction> transactionActions, CancellationToken cancellationToken = default)
        {
            var actions = transactionActions.ToList();
            InterlockedMax(ref _largest, actions.Count);
            if (Interlocked.Increment(ref _transactions) == 1)
            {
                FirstTransactionEntered.TrySetResult();
                await ReleaseFirstTransaction.Task.WaitAsync(cancellationToken);
            }

            return await base.SubmitTransactionAsync(actions, cancellationToken);
        }

        private static void InterlockedMax(ref int target, int value)
        {
            for (var seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            {
                if (Interlocked.CompareExchange(ref target, value, seen) == seen)
                {
                    return;
                }
            }
        }
    }
}
