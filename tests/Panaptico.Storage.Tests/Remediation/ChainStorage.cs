using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Storage.Account;
using Panaptico.Testing;

namespace Panaptico.Storage.Tests.Remediation;

/// <summary>One test's changes table on the run's Azurite, under a unique prefix.</summary>
public sealed class ChainStorage
{
    private ChainStorage(StorageAccount account, StorageNames names)
    {
        Account = account;
        Names = names;
        Table = account.Tables.GetTableClient(names.Table("changes"));
    }

    public StorageAccount Account { get; }
    public StorageNames Names { get; }
    public Azure.Data.Tables.TableClient Table { get; }

    public static async Task<ChainStorage> CreateAsync()
    {
        var storage = new ChainStorage(StorageAccount.FromConnectionString(await TestStorage.ConnectionStringAsync()),
            new StorageNames(TestStorage.UniqueName("chain")));
        await storage.Table.CreateAsync();
        return storage;
    }

    /// <summary>
    /// A container found with a stored access policy granting write for 400 days (AZ-STG-004); production when tagged so.
    /// <paramref name="metadataBytes"/> pads its metadata, to make a large state.
    /// </summary>
    public static Finding LongLivedPolicy(string container, bool production, DateTimeOffset at, int metadataBytes = 0)
    {
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["env"] = production ? "prod" : "dev" };
        for (var i = 0; metadataBytes > 0; i++, metadataBytes -= 1000)
        {
            metadata[$"pad{i:D3}"] = new string('x', 1000);
        }
        var asset = new ContainerState(AssetId.BlobContainer("devstoreaccount1", container), PublicAccessLevel.None, metadata,
            [new StoredAccessPolicy("uploader", "rwd", null, at.AddDays(400))]);
        var state = new StorageAccountState("devstoreaccount1", new Dictionary<string, string>(), new BlobServiceState(
            AssetId.BlobService("devstoreaccount1"), [], new RetentionPolicy(true, 7), new AnalyticsLogging("1.0", true, true, true, RetentionPolicy.Disabled)),
            [asset], at);
        return Assert.Single(PatternRegistry.Default.Detect(state));
    }

    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 4, 18, 3, 12, 47, TimeSpan.Zero));
}
