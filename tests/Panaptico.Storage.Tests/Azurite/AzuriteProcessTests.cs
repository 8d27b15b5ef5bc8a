using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Panaptico.Testing;

namespace Panaptico.Storage.Tests.Azurite;

public class AzuriteProcessTests
{
    [Fact]
    public async Task The_shared_store_serves_blobs_queues_and_tables()
    {
        var connection = await TestStorage.ConnectionStringAsync();
        var name = TestStorage.UniqueName("probe");

        var container = new BlobServiceClient(connection).GetBlobContainerClient(name);
        await container.CreateAsync();
        var queue = new QueueServiceClient(connection).GetQueueClient(name);
        await queue.CreateAsync();
        var table = new TableServiceClient(connection).GetTableClient(name);
        await table.CreateAsync();

        Assert.True((await container.ExistsAsync()).Value);
        Assert.True((await queue.ExistsAsync()).Value);
        await table.AddEntityAsync(new TableEntity("p", "r"));
        Assert.Equal("r", (await table.GetEntityAsync<TableEntity>("p", "r")).Value.RowKey);
    }

    [Fact]
    public void Unique_names_are_valid_storage_names()
    {
        var name = TestStorage.UniqueName("Ledger-Appends_2");
        Assert.Matches("^[a-z][a-z0-9]{3,39}$", name);
        Assert.NotEqual(name, TestStorage.UniqueName("Ledger-Appends_2"));
    }
}
