using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Panaptico.Connectors.Drift.AzureStorage;
using Panaptico.Connectors.Drift.Entra;
using Panaptico.Connectors.Drift.Snapshots;
using Panaptico.Core.Drift;
using Panaptico.Storage.Account;
using Panaptico.Storage.Remediation;

namespace Panaptico.Connectors.Drift;

/// <summary>
/// The drift connectors, registered once: each as an <see cref="IDriftConnector"/> (the sweep picks by
/// <see cref="IDriftConnector.Kind"/>; freeze asks for <see cref="IFreezableConnector"/>), plus the directory audit
/// reader and the snapshot store the app's endpoints use. Needs the platform's storage, clock and identity and the
/// remediation's governed accounts.
/// </summary>
public static class DriftConnectorsSetup
{
    public const string SnapshotsContainer = "drift-snapshots";

    public static IServiceCollection AddDriftConnectors(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EntraOptions>().Bind(configuration.GetSection(EntraOptions.Section))
            .Validate(o => o.BaseUrl.IsAbsoluteUri && (o.BaseUrl.Scheme == Uri.UriSchemeHttps || o.BaseUrl.IsLoopback),
                "Drift:Entra:BaseUrl must be an absolute https URL (plain http only to a loopback fake)")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Scope), "Drift:Entra:Scope must name the Graph scope")
            .ValidateOnStart();
        // TryAdd: a test may bring a client pointed at its fake.
        services.TryAddSingleton(sp => EntraGraph.Create(sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<IOptions<EntraOptions>>().Value));
        services.AddSingleton(sp => new EntraReader(sp.GetRequiredService<GraphServiceClient>()));
        services.AddSingleton(sp => new DirectoryAuditReader(sp.GetRequiredService<GraphServiceClient>()));
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
