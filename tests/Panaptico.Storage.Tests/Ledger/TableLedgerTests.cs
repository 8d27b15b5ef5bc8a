using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;
using Panaptico.Testing;

namespace Panaptico.Storage.Tests.Ledger;

public sealed class TableLedgerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Sixteen_concurrent_appenders_never_fork_skip_or_reuse_a_seq_and_the_chain_and_tree_verify()
    {
        var table = await NewTableAsync();
        var ledgers = Enumerable.Range(0, 16).Select(_ => new TableLedger(table, _time)).ToList();

        var appends = ledgers.SelectMany((ledger, writer) => Enumerable.Range(0, 40).Select(i =>
            ledger.AppendAsync(new LedgerEntry("governance", "task.approved", $"TASK-{writer}-{i}", $"user:{writer}", new JsonObject { ["i"] = i }), default)));
        var records = await Task.WhenAll(appends);

        Assert.Equal(Enumerable.Range(0, 640).Select(i => (long)i), records.Select(r => r.Seq).Order());
        var stored = new List<string>();
        await foreach (var line in ledgers[0].ReadCanonicalAsync(0, 10_000, default))
        {
            stored.Add(line);
        }

        Assert.Equal(640, stored.Count);
        var verifier = new LedgerExportVerifier();
        for (var i = 0; i < stored.Count; i++)
        {
            Assert.True(verifier.Add(Encoding.UTF8.GetBytes(stored[i]), i + 1), verifier.Failure?.ToString());
        }

        var head = await ledgers[3].ReadHeadAsync(default);
        var signer = EcdsaCheckpointSigner.Generate("panaptico.test/ledger");
        var result = verifier.Complete(await SignedCheckpoint.SignAsync(head.Checkpoint("panaptico.test/ledger"), signer, default), signer.PublicKey);
        Assert.True(result.Ok, result.Failure?.ToString());
        Assert.Equal(640, head.Size);
        Assert.All(records, r => Assert.Equal(Encoding.UTF8.GetString(LedgerRecordFormat.CanonicalBytes(r)), stored[(int)r.Seq]));
        Assert.True(ledgers.Sum(l => l.Commits) < 640, "appends are batched into transactions");
        await Task.WhenAll(ledgers.Select(l => l.DisposeAsync().AsTask()));
    }

    [Fact]
    public async Task A_writer_holding_a_stale_head_recomputes_its_batch_instead_of_forking()
    {
        var table = await NewTableAsync();
        await using var a = new TableLedger(table, _time);
        await using var b = new TableLedger(table, _time);

        var first = await a.AppendAsync(Entry("one"), default);
        await b.AppendAsync(Entry("two"), default);
        await b.AppendAsync(Entry("three"), default);
        var fourth = await a.AppendAsync(Entry("four"), default);

        Assert.Equal(0, first.Seq);
        Assert.Equal(3, fourth.Seq);
        Assert.True(a.Conflicts >= 1);
        var chain = new List<LedgerRecord>();
        await foreach (var r in a.ReadRangeAsync(0, 3, default))
        {
            chain.Add(r);
        }

        Assert.Equal(["one", "two", "three", "four"], chain.Select(r => r.Subject));
        Assert.Equal(chain[2].Hash, fourth.Prev);
    }

    [Fact]
    public async Task Times_never_go_backwards_along_seq_and_a_time_range_finds_its_seq_range()
    {
        var table = await NewTableAsync();
        await using var ledger = new TableLedger(table, _time);
        var start = _time.GetUtcNow();
        for (var i = 0; i < 6; i++)
        {
            await ledger.AppendAsync(Entry($"e{i}"), default);
            _time.Advance(TimeSpan.FromHours(1));
        }

        var range = await ledger.FindSeqRangeAsync(start.AddHours(2), start.AddHours(4), default);
        var none = await ledger.FindSeqRangeAsync(start.AddDays(1), null, default);

        Assert.Equal((2L, 3L), range);
        Assert.Null(none);
    }

    [Fact]
    public async Task An_entry_too_large_for_a_ledger_row_is_refused_and_nothing_is_written()
    {
        var table = await NewTableAsync();
        await using var ledger = new TableLedger(table, _time);

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            ledger.AppendAsync(new LedgerEntry("evidence", "artifact.stored", "x", "user:a", new JsonObject { ["blob"] = new string('x', 40_000) }), default));

        Assert.Contains("references", error.Message);
        Assert.Equal(0, (await ledger.ReadHeadAsync(default)).Size);
    }

    [Fact]
    public async Task The_tree_at_any_size_is_rebuilt_from_the_stored_batch_frontiers()
    {
        var table = await NewTableAsync();
        await using var ledger = new TableLedger(table, _time);
        var expected = new MerkleFrontier();
        var appends = Enumerable.Range(0, 230).Select(i => ledger.AppendAsync(Entry($"e{i}"), default)).ToList();
        foreach (var record in await Task.WhenAll(appends))
        {
            expected.AppendLeaf(LedgerRecordFormat.CanonicalBytes(record));
            if (record.Seq is 0 or 1 or 98 or 99 or 150 or 229)
            {
                var (tree, lastHash) = await ledger.ReadTreeAtAsync(record.Seq + 1, default);
                Assert.Equal(expected.Root(), tree.Root());
                Assert.Equal(record.Hash, lastHash);
            }
        }
    }

    [Fact]
    public async Task A_published_checkpoint_is_the_signed_current_tree_head_and_reads_back()
    {
        var table = await NewTableAsync();
        await using var ledger = new TableLedger(table, _time);
        var signer = EcdsaCheckpointSigner.Generate("panaptico.test/ledger");
        await Task.WhenAll(Enumerable.Range(0, 7).Select(i => ledger.AppendAsync(Entry($"e{i}"), default)));
        await ledger.PublishCheckpointAsync(signer, "panaptico.test/ledger", default);
        await ledger.AppendAsync(Entry("e7"), default);

        var published = await ledger.PublishCheckpointAsync(signer, "panaptico.test/ledger", default);
        var latest = await ledger.ReadLatestCheckpointAsync(default);

        Assert.Equal(8, latest!.Checkpoint.Size);
        Assert.Equal(published.Format(), latest.Format());
        Assert.True(latest.IsSignedBy(signer.PublicKey));
        Assert.Equal((await ledger.ReadHeadAsync(default)).Tree.Root(), latest.Checkpoint.RootHash);
    }

    internal static async Task<TableClient> NewTableAsync()
    {
        var table = new TableClient(await TestStorage.ConnectionStringAsync(), TestStorage.UniqueName("ledger"));
        await table.CreateIfNotExistsAsync();
        return table;
    }

    private static LedgerEntry Entry(string subject) => new("governance", "task.approved", subject, "user:ana", null);
}
