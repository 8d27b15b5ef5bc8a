using Microsoft.Extensions.Time.Testing;
using Panaptico.Storage.Evidence;

namespace Panaptico.Storage.Tests.Evidence;

public class RollbackVaultTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 4, 18, 9, 30, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_snapshot_past_thirty_days_is_reported_expired_and_cannot_be_restored()
    {
        var vault = new RollbackVault(await EvidenceStorage.ContainerAsync("rollback"), _time);
        await vault.PutAsync("CHG-2026-0418-114", "container-acl.json", new MemoryStream("{\"publicAccess\":\"blob\"}"u8.ToArray()), default);

        _time.Advance(TimeSpan.FromDays(30) + TimeSpan.FromSeconds(1));
        var snapshot = Assert.Single(await vault.ListAsync("CHG-2026-0418-114", default));

        Assert.True(snapshot.Expired);
        Assert.Equal(new DateTimeOffset(2026, 5, 18, 9, 30, 0, TimeSpan.Zero), snapshot.ExpiresAt);
        await Assert.ThrowsAsync<RollbackSnapshotExpiredException>(() => vault.OpenAsync("CHG-2026-0418-114", "container-acl.json", default));
    }

    [Fact]
    public async Task A_snapshot_within_its_retention_can_be_restored()
    {
        var vault = new RollbackVault(await EvidenceStorage.ContainerAsync("rollback"), _time);
        await vault.PutAsync("CHG-1", "acl.json", new MemoryStream("before"u8.ToArray()), default);

        _time.Advance(TimeSpan.FromDays(29));
        var (snapshot, content) = await vault.OpenAsync("CHG-1", "acl.json", default);

        Assert.False(snapshot.Expired);
        using var reader = new StreamReader(content);
        Assert.Equal("before", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Writing_a_snapshot_again_keeps_the_first_one()
    {
        var vault = new RollbackVault(await EvidenceStorage.ContainerAsync("rollback"), _time);
        var first = await vault.PutAsync("CHG-1", "acl.json", new MemoryStream("first"u8.ToArray()), default);
        _time.Advance(TimeSpan.FromMinutes(5));

        var again = await vault.PutAsync("CHG-1", "acl.json", new MemoryStream("second"u8.ToArray()), default);

        Assert.Equal((true, false), (first.Created, again.Created));
        var (_, content) = await vault.OpenAsync("CHG-1", "acl.json", default);
        using var reader = new StreamReader(content);
        Assert.Equal("first", await reader.ReadToEndAsync());
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromMinutes(5), again.CapturedAt);
    }

    [Fact]
    public async Task A_change_id_that_could_escape_its_folder_is_refused()
    {
        var vault = new RollbackVault(await EvidenceStorage.ContainerAsync("rollback"), _time);

        await Assert.ThrowsAsync<ArgumentException>(() => vault.PutAsync("../CHG-1", "acl.json", new MemoryStream([1]), default));
    }
}
