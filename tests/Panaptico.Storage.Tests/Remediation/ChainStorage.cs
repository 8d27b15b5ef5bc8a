using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Storage.Account;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Ledger;
using Panaptico.Storage.Notifications;
using Panaptico.Storage.Remediation;
using Panaptico.Testing;

namespace Panaptico.Storage.Tests.Remediation;

/// <summary>One test's remediation storage on the run's Azurite (tables, queue, vault, ledger under a unique prefix).</summary>
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
    public Azure.Storage.Queues.QueueClient Queue => Account.Queues.GetQueueClient(Names.Queue("remediation"));

    public static async Task<ChainStorage> CreateAsync()
    {
        var storage = new ChainStorage(StorageAccount.FromConnectionString(await TestStorage.ConnectionStringAsync()),
            new StorageNames(TestStorage.UniqueName("chain")));
        await storage.Table.CreateAsync();
        await storage.Account.Tables.GetTableClient(storage.Names.LedgerTable).CreateAsync();
        await storage.Account.Tables.GetTableClient(storage.Names.OutboxTable).CreateAsync();
        return storage;
    }

    /// <summary>A chain instance on this storage, as one app instance would build it (no connector: no step runs here).</summary>
    public async Task<(DurableChangeChain Chain, TableLedger Ledger)> InstanceAsync(TimeProvider time, ChainFaults? faults = null, ApprovalRules? rules = null)
    {
        var ledger = new TableLedger(Account.Tables.GetTableClient(Names.LedgerTable), time);
        var chain = new DurableChangeChain(
            new ChangeChain(PatternRegistry.Default, new RemediationPolicy(), rules),
            PatternRegistry.Default,
            new ChangeTable(Table),
            new ChangeIdCounter(Table),
            new OpenChangeIndex(Table),
            Queue,
            new RollbackVault(Account.Blobs.GetBlobContainerClient(Names.RollbackVaultContainer), time),
            new GovernedAccounts([]),
            ledger,
            new LedgerReplayCheck(ledger),
            new OutboxNotifier(Account.Tables.GetTableClient(Names.OutboxTable), time),
            time,
            new DurableChainOptions { DispatchLease = TimeSpan.FromSeconds(30) },
            faults);
        await chain.EnsureCreatedAsync(CancellationToken.None);
        return (chain, ledger);
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
