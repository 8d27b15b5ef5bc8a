using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Graph;
using Panaptico.Connectors.Drift.AzureStorage;
using Panaptico.Connectors.Drift.Entra;
using Panaptico.Connectors.Drift.Snapshots;
using Panaptico.Connectors.Graph;
using Panaptico.Core.Drift;
using Panaptico.Storage.Account;
using Panaptico.Storage.Remediation;

namespace Panaptico.Connectors.Drift;

/// <summary>
/// The drift connectors, registered once: each as an <see cref="IDriftConnector"/> (the sweep picks by
/// <see cref="IDriftConnector.Kind"/>; freeze asks for <see cref="IFreezableConnector"/>), plus the directory audit
/// reader and the snapshot store the app's endpoints use. Needs the platform's storage, clock and identity and the
/// remediation's governed accounts; Entra is read through the app's one Graph client (<see cref="GraphSetup"/>).
/// </summary>
public static class DriftConnectorsSetup
{
    public const string SnapshotsContainer = "drift-snapshots";

    public static IServiceCollection AddDriftConnectors(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMicrosoftGraph(configuration);
        services.AddSingleton<EntraReader>();
        services.AddSingleton<DirectoryAuditReader>();
        services.AddSingleton<ISnapshotStore>(sp => new BlobSnapshotStore(
            sp.GetRequiredService<StorageAccount>().Blobs.GetBlobContainerClient(sp.GetRequiredService<StorageNames>().Container(SnapshotsContainer))));

        services.AddSingleton<IDriftConnector>(sp => new AzureStorageDriftConnector(
            sp.GetRequiredService<GovernedAccounts>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IDriftConnector>(sp => new EntraDriftConnector(
            sp.GetRequiredService<EntraReader>(), sp.GetRequiredService<GraphServiceClient>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IDriftConnector>(sp => new SnapshotDriftConnector(sp.GetRequiredService<ISnapshotStore>()));
        return services;
    }
}
