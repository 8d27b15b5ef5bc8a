using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Evidence;
using Panaptico.Storage.Evidence;

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
}
