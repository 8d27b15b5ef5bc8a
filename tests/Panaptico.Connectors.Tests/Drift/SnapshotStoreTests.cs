using Azure.Storage.Blobs;
using Panaptico.Connectors.Drift.Snapshots;
using Panaptico.Core.Drift;
using Panaptico.Testing;

namespace Panaptico.Connectors.Tests.Drift;

public sealed class SnapshotStoreTests
{
    private const string ObjectId = "snowflake/warehouse/REPORTING_WH";

    [Fact]
    public async Task The_store_returns_the_latest_observation_and_a_late_push_does_not_go_back_in_time()
    {
        var store = await StoreAsync();
        var first = Warehouse("sf-1", "2026-04-15T03:00:00Z", "Medium");
        var second = Warehouse("sf-2", "2026-04-15T03:10:00Z", "Large");
        var late = Warehouse("sf-0", "2026-04-15T02:50:00Z", "Small");

        var put1 = await store.PutAsync(first, default);
        var put2 = await store.PutAsync(second, default);
        var putLate = await store.PutAsync(late, default);
        var latest = await store.LatestAsync(ObjectId, default);

        Assert.True(put1.Created && put1.IsLatest);
        Assert.True(put2.Created && put2.IsLatest);
        Assert.True(putLate.Created);
        Assert.False(putLate.IsLatest);
        Assert.Equal("sf-2", latest!.SnapshotId);
        Assert.Equal("Large", ((SnowflakeWarehouse)latest.State).Size);
    }

    [Fact]
    public async Task A_retried_push_is_stored_once_and_a_reused_id_with_other_content_is_a_conflict()
    {
        var store = await StoreAsync();
        var snapshot = Warehouse("sf-1", "2026-04-15T03:00:00Z", "Medium");

        await store.PutAsync(snapshot, default);
        var retried = await store.PutAsync(SnapshotSchemas.Parse(snapshot.ToJson()), default);
        var conflict = await Assert.ThrowsAsync<SnapshotConflictException>(() => store.PutAsync(Warehouse("sf-1", "2026-04-15T03:00:00Z", "X-Large"), default));

        Assert.False(retried.Created);
        Assert.True(retried.IsLatest);
        Assert.Equal("sf-1", conflict.SnapshotId);
        Assert.Equal("Medium", ((SnowflakeWarehouse)(await store.LatestAsync(ObjectId, default))!.State).Size);
    }

    [Fact]
    public async Task The_snapshot_connector_reads_the_latest_push_as_the_objects_live_fields()
    {
        var store = await StoreAsync();
        var connector = new SnapshotDriftConnector(store);
        var obj = new GraphObject(ObjectId, "warehouse", "snowflake", SnapshotDriftConnector.ConnectorKind, "acme.eu-west-1", new ObjectOwner("data-platform", "data-oncall", "m.ruiz"));

        var before = await Assert.ThrowsAsync<InvalidOperationException>(() => connector.ReadAsync(obj, default));
        await store.PutAsync(Warehouse("sf-1", "2026-04-15T03:00:00Z", "Medium"), default);
        await store.PutAsync(Warehouse("sf-2", "2026-04-15T03:10:00Z", "Large"), default);
        var live = await connector.ReadAsync(obj, default);
        var wrongKind = await Assert.ThrowsAsync<InvalidOperationException>(() => connector.ReadAsync(obj with { Kind = "database" }, default));

        Assert.Contains("no snapshot has been pushed", before.Message, StringComparison.Ordinal);
        Assert.Equal(ObjectId, live.ObjectId);
        Assert.Equal(DateTimeOffset.Parse("2026-04-15T03:10:00Z"), live.ReadAt);
        Assert.Equal("Large", live.Fields["size"]!.GetValue<string>());
        Assert.Contains("is a snowflake warehouse", wrongKind.Message, StringComparison.Ordinal);
    }

    private static Snapshot Warehouse(string id, string observedAt, string size) => SnapshotSchemas.Parse(
        SnapshotExamples.Snowflake
            .Replace("\"sf-0415-0310\"", $"\"{id}\"", StringComparison.Ordinal)
            .Replace("\"2026-04-15T03:10:00Z\"", $"\"{observedAt}\"", StringComparison.Ordinal)
            .Replace("\"Large\"", $"\"{size}\"", StringComparison.Ordinal));

    // A container of its own per test; the store creates it on the first push.
    private static async Task<BlobSnapshotStore> StoreAsync() =>
        new(new BlobServiceClient(await TestStorage.ConnectionStringAsync()).GetBlobContainerClient(TestStorage.UniqueName("snapshots")));
}
