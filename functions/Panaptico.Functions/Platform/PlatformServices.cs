using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Panaptico.Connectors.KeyVault;
using Panaptico.Core.Evidence;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Storage.Account;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Ledger;
using Panaptico.Storage.Notifications;

namespace Panaptico.Functions.Platform;

/// <summary>
/// What every feature stands on: the storage account and its names, the clock, the audit ledger, the notifier,
/// the evidence and rollback vaults, the keyring, the bundle signer and the sealer.
/// </summary>
public static class PlatformServices
{
    public static void AddPlatform(this IServiceCollection services, IConfiguration configuration)
    {
        AddStorage(services, configuration);
        services.AddSingleton(new StorageNames(configuration["Panaptico:StoragePrefix"] ?? ""));
        // TryAdd: tests and the demo put in a fake clock before this runs.
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton(sp => new TableLedger(Table(sp, n => n.LedgerTable), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ILedgerAppender>(sp => sp.GetRequiredService<TableLedger>());
        services.AddSingleton(sp => new OutboxNotifier(Table(sp, n => n.OutboxTable), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<INotifier>(sp => sp.GetRequiredService<OutboxNotifier>());

        services.AddSingleton(new EvidenceVaultOptions
        {
            MaxArtifactBytes = configuration.GetValue<long?>("Evidence:MaxArtifactBytes") ?? new EvidenceVaultOptions().MaxArtifactBytes,
        });
        services.AddSingleton(new EvidenceSealingOptions { RequireImmutability = configuration.GetValue<bool>("Evidence:RequireImmutability") });
        services.AddSingleton(sp => new EvidenceVault(
            Container(sp, n => n.EvidenceContainer), sp.GetRequiredService<EvidenceVaultOptions>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new RollbackVault(Container(sp, n => n.RollbackVaultContainer), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new BundleStore(Container(sp, n => n.BundlesContainer)));
        services.AddSingleton(sp => new KeyringStore(
            Table(sp, n => n.KeyringTable), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILedgerAppender>()));
        services.AddSingleton<BundleExporter>();
        services.AddSingleton(sp => Signer(configuration, sp));
        services.AddSingleton<ImmutabilityState>();
        services.AddSingleton(sp => new EvidenceSealer(
            sp.GetRequiredService<IBundleSigner>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<EvidenceVault>(),
            sp.GetRequiredService<KeyringStore>(),
            sp.GetRequiredService<BundleStore>(),
            sp.GetRequiredService<ILedgerAppender>(),
            sp.GetRequiredService<ImmutabilityState>().Report,
            sp.GetRequiredService<EvidenceSealingOptions>()));

        // Registered before the trigger runners, so storage exists before any trigger fires.
        services.AddHostedService<StorageBootstrap>();
    }

    /// <summary>
    /// The storage clients, registered once with <c>Microsoft.Extensions.Azure</c>: from the connection string
    /// (<c>AzureWebJobsStorage</c>; Azurite locally) or from the account name and the app's one identity
    /// (<c>AzureWebJobsStorage__accountName</c>, no secret anywhere).
    /// </summary>
    private static void AddStorage(IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration["AzureWebJobsStorage"] is { Length: > 0 } cs ? cs : null;
        var accountName = connectionString is null && configuration["AzureWebJobsStorage:accountName"] is { Length: > 0 } name ? name : null;
        if (connectionString is null && accountName is null)
        {
            throw new InvalidOperationException(
                "No storage: set AzureWebJobsStorage (a connection string) or AzureWebJobsStorage__accountName (managed identity).");
        }
        // One identity for every Azure client of the app; TryAdd: a test may bring its own.
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        services.AddAzureClients(clients =>
        {
            clients.UseCredential(sp => sp.GetRequiredService<TokenCredential>());
            // Queue messages are plain UTF-8 JSON, as the Functions host writes them since v5 of the queue extension.
            if (connectionString is not null)
            {
                clients.AddBlobServiceClient(connectionString);
                clients.AddQueueServiceClient(connectionString).ConfigureOptions(o => o.MessageEncoding = QueueMessageEncoding.None);
                clients.AddTableServiceClient(connectionString);
            }
            else
            {
                clients.AddBlobServiceClient(new Uri($"https://{accountName}.blob.core.windows.net"));
                clients.AddQueueServiceClient(new Uri($"https://{accountName}.queue.core.windows.net"))
                    .ConfigureOptions(o => o.MessageEncoding = QueueMessageEncoding.None);
                clients.AddTableServiceClient(new Uri($"https://{accountName}.table.core.windows.net"));
            }
        });
        services.AddSingleton(sp => StorageAccount.FromClients(
            sp.GetRequiredService<BlobServiceClient>(), sp.GetRequiredService<QueueServiceClient>(), sp.GetRequiredService<TableServiceClient>(),
            connectionString, accountName, accountName is null ? null : sp.GetRequiredService<TokenCredential>()));
    }

    /// <summary>Key Vault in Azure (<c>Signing:KeyVaultUri</c> + <c>Signing:KeyName</c>); a local P-256 key standalone.</summary>
    private static IBundleSigner Signer(IConfiguration configuration, IServiceProvider services)
    {
        if (configuration["Signing:KeyVaultUri"] is { Length: > 0 } vault)
        {
            return new KeyVaultBundleSigner(new Uri(vault), configuration["Signing:KeyName"] ?? "bundle-signing",
                services.GetRequiredService<TokenCredential>(), configuration["Signing:KeyVersion"]);
        }
        if (configuration["Signing:PrivateKeyPem"] is { Length: > 0 } pem)
        {
            return LocalEcdsaSigner.FromPem("local-bundle-signing", pem);
        }
        // A development key; its public half is archived in the keyring, so bundles it signed verify after it is gone.
        return LocalEcdsaSigner.Generate("local-bundle-signing");
    }

    private static Azure.Data.Tables.TableClient Table(IServiceProvider sp, Func<StorageNames, string> name) =>
        sp.GetRequiredService<StorageAccount>().Tables.GetTableClient(name(sp.GetRequiredService<StorageNames>()));

    private static Azure.Storage.Blobs.BlobContainerClient Container(IServiceProvider sp, Func<StorageNames, string> name) =>
        sp.GetRequiredService<StorageAccount>().Blobs.GetBlobContainerClient(name(sp.GetRequiredService<StorageNames>()));
}

/// <summary>Whether the evidence container is write-once, as probed at start; reported in health and in every bundle.</summary>
public sealed class ImmutabilityState
{
    public ImmutabilityReport Report { get; set; } = new(ImmutabilityStatus.NotEnforced, "not probed yet");
}

/// <summary>Creates the shared tables and containers and probes immutability before the app serves or triggers fire.</summary>
public sealed class StorageBootstrap(IServiceProvider services, StorageAccount storage, StorageNames names, ImmutabilityState immutability)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(
            services.GetRequiredService<TableLedger>().EnsureCreatedAsync(cancellationToken),
            services.GetRequiredService<KeyringStore>().EnsureCreatedAsync(cancellationToken),
            services.GetRequiredService<EvidenceVault>().EnsureCreatedAsync(cancellationToken),
            services.GetRequiredService<RollbackVault>().EnsureCreatedAsync(cancellationToken),
            services.GetRequiredService<BundleStore>().EnsureCreatedAsync(cancellationToken),
            storage.Tables.GetTableClient(names.OutboxTable).CreateIfNotExistsAsync(cancellationToken));
        immutability.Report = await new ImmutabilityProbe(storage.Blobs.GetBlobContainerClient(names.EvidenceContainer))
            .ProbeAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
