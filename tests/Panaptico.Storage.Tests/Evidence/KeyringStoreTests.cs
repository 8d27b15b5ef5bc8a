using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Evidence;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Ledger;

namespace Panaptico.Storage.Tests.Evidence;

public class KeyringStoreTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 4, 18, 9, 30, 0, TimeSpan.Zero));
    private readonly RecordingLedger _ledger = new();

    [Fact]
    public async Task Archiving_a_key_version_adds_it_to_the_keyring_and_records_it_in_the_ledger_once()
    {
        var store = new KeyringStore(await EvidenceStorage.TableAsync("keyring"), _time, _ledger);
        using var signer = LocalEcdsaSigner.Generate("https://vault.example/keys/bundle-signing");
        var key = await signer.CurrentKeyAsync(default);

        var entry = await store.ArchiveAsync(key, "system:sealer", default);
        _time.Advance(TimeSpan.FromDays(1));
        var again = await store.ArchiveAsync(key, "system:sealer", default);

        Assert.Equal(entry, again);
        Assert.Equal([entry], (await store.LoadAsync(default)).Keys);
        var record = Assert.Single(_ledger.Entries);
        Assert.Equal(("keyring", "key.archived", $"{key.KeyId}#{key.Version}"), (record.Stream, record.Kind, record.Subject));
        Assert.Equal($"keyring/{key.KeyId}#{key.Version}", record.EntryId);
        Assert.Equal(entry.Fingerprint(), (string?)record.Data!["fingerprint"]);
    }

    [Fact]
    public async Task A_different_public_key_under_an_archived_version_is_refused_and_the_row_is_unchanged()
    {
        var table = await EvidenceStorage.TableAsync("keyring");
        var store = new KeyringStore(table, _time, _ledger);
        using var first = LocalEcdsaSigner.Generate("local/dev");
        using var second = LocalEcdsaSigner.Generate("local/dev");
        var key = await first.CurrentKeyAsync(default);
        var archived = await store.ArchiveAsync(key, "system:sealer", default);

        var impostor = (await second.CurrentKeyAsync(default)) with { Version = key.Version };
        await Assert.ThrowsAsync<KeyringConflictException>(() => store.ArchiveAsync(impostor, "mallory", default));

        Assert.Equal(archived, await store.FindAsync(key.KeyId, key.Version, default));
        Assert.Single(_ledger.Entries);
    }

    [Fact]
    public async Task After_rotation_the_keyring_holds_both_versions_oldest_first()
    {
        var store = new KeyringStore(await EvidenceStorage.TableAsync("keyring"), _time, _ledger);
        using var before = LocalEcdsaSigner.Generate("local/dev");
        using var after = LocalEcdsaSigner.Generate("local/dev");

        await store.ArchiveAsync(await before.CurrentKeyAsync(default), "system:sealer", default);
        _time.Advance(TimeSpan.FromDays(90));
        await store.ArchiveAsync(await after.CurrentKeyAsync(default), "system:sealer", default);

        Assert.Equal([before.KeyVersion, after.KeyVersion], (await store.LoadAsync(default)).Keys.Select(k => k.Version));
    }

    [Fact]
    public async Task A_ledger_append_that_failed_is_recorded_exactly_once_by_the_next_archive()
    {
        await using var ledger = new TableLedger(await EvidenceStorage.TableAsync("ledger"), _time);
        var failing = new FailingOnceLedger(ledger, commitBeforeFailing: false);
        var store = new KeyringStore(await EvidenceStorage.TableAsync("keyring"), _time, failing);
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var key = await signer.CurrentKeyAsync(default);

        await Assert.ThrowsAsync<IOException>(() => store.ArchiveAsync(key, "system:sealer", default));
        Assert.Empty(await KeyArchivedAsync(ledger));

        var entry = await store.ArchiveAsync(key, "system:sealer", default);
        await store.ArchiveAsync(key, "system:sealer", default);

        var record = Assert.Single(await KeyArchivedAsync(ledger));
        Assert.Equal(($"{key.KeyId}#{key.Version}", entry.Fingerprint()), (record.Subject, (string?)record.Data!["fingerprint"]));
    }

    [Fact]
    public async Task An_append_that_committed_but_reported_failure_is_not_recorded_again()
    {
        await using var ledger = new TableLedger(await EvidenceStorage.TableAsync("ledger"), _time);
        var failing = new FailingOnceLedger(ledger, commitBeforeFailing: true);
        var store = new KeyringStore(await EvidenceStorage.TableAsync("keyring"), _time, failing);
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var key = await signer.CurrentKeyAsync(default);

        await Assert.ThrowsAsync<IOException>(() => store.ArchiveAsync(key, "system:sealer", default));
        await store.ArchiveAsync(key, "system:sealer", default);
        await store.ArchiveAsync(key, "system:sealer", default);

        Assert.Single(await KeyArchivedAsync(ledger));
        Assert.Equal(2, failing.Calls); // the retry appended again and the ledger answered with the committed record
    }

    [Fact]
    public async Task Concurrent_archives_of_a_new_key_from_several_instances_record_it_once()
    {
        var ledgerTable = await EvidenceStorage.TableAsync("ledger");
        var keyringTable = await EvidenceStorage.TableAsync("keyring");
        var ledgers = Enumerable.Range(0, 4).Select(_ => new TableLedger(ledgerTable, _time)).ToList();
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var key = await signer.CurrentKeyAsync(default);

        var entries = await Task.WhenAll(ledgers.Select(l => new KeyringStore(keyringTable, _time, l).ArchiveAsync(key, "system:sealer", default)));

        Assert.All(entries, e => Assert.Equal(entries[0], e));
        Assert.Single(await KeyArchivedAsync(ledgers[0]));
        foreach (var ledger in ledgers)
        {
            await ledger.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_archiver_stalled_mid_way_holds_nobody_up_and_the_key_is_recorded_once()
    {
        var keyringTable = await EvidenceStorage.TableAsync("keyring");
        await using var ledger = new TableLedger(await EvidenceStorage.TableAsync("ledger"), _time);
        var stalled = new StalledLedger(ledger);
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var key = await signer.CurrentKeyAsync(default);
        var slow = new KeyringStore(keyringTable, _time, stalled).ArchiveAsync(key, "system:sealer", default);
        await stalled.Called.Task; // the row is added, unrecorded; its archiver has not appended yet

        var other = await new KeyringStore(keyringTable, _time, ledger).ArchiveAsync(key, "system:sealer", default);
        stalled.Release.SetResult();

        Assert.Equal(other, await slow);
        Assert.Single(await KeyArchivedAsync(ledger));
    }

    private static async Task<List<LedgerRecord>> KeyArchivedAsync(TableLedger ledger)
    {
        var head = await ledger.ReadHeadAsync(default);
        var records = new List<LedgerRecord>();
        await foreach (var record in ledger.ReadRangeAsync(0, head.Size - 1, default))
        {
            if (record.Kind == KeyringStore.LedgerKind)
            {
                records.Add(record);
            }
        }

        return records;
    }

    /// <summary>Fails the first append, before or after passing it on: a transient error or a lost response.</summary>
    private sealed class FailingOnceLedger(ILedgerAppender inner, bool commitBeforeFailing) : ILedgerAppender
    {
        public int Calls { get; private set; }

        public async Task<LedgerRecord> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken)
        {
            if (++Calls > 1)
            {
                return await inner.AppendAsync(entry, cancellationToken);
            }

            if (commitBeforeFailing)
            {
                await inner.AppendAsync(entry, cancellationToken);
            }

            throw new IOException("the ledger did not answer");
        }
    }

    /// <summary>An append that waits until the test lets it through: an archiver that stalled mid-way.</summary>
    private sealed class StalledLedger(ILedgerAppender inner) : ILedgerAppender
    {
        public TaskCompletionSource Called { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<LedgerRecord> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken)
        {
            Called.TrySetResult();
            await Release.Task;
            return await inner.AppendAsync(entry, cancellationToken);
        }
    }
}
