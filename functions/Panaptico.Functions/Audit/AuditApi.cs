using Panaptico.Core.Identity;
using Panaptico.Functions.Hosting;

namespace Panaptico.Functions.Audit;

/// <summary>
/// What an auditor reads, six quarters later and without trusting us: artifacts by hash, sealed bundles laid out for
/// offline verification, the ledger's signed checkpoints, inclusion and consistency proofs, and exports. All read-only.
/// </summary>
public static class AuditApi
{
    public static void MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapHttpFunction("DownloadArtifact", EvidenceEndpoints.DownloadAsync).RequireAuthorization(Role.Auditor);
        app.MapHttpFunction("GetArtifactMetadata", EvidenceEndpoints.MetadataAsync).RequireAuthorization(Role.Auditor);
        app.MapHttpFunction("GetBundle", BundleEndpoints.GetAsync).RequireAuthorization(Role.Auditor);
        app.MapHttpFunction("ListBundles", BundleEndpoints.ListAsync).RequireAuthorization(Role.Auditor);
        app.MapHttpFunction("GetLedgerCheckpoint", LedgerEndpoints.CheckpointAsync).RequireAuthorization(Role.Auditor);
        app.MapHttpFunction("GetLedgerKey", LedgerEndpoints.Key).RequireAuthorization(Role.Auditor);
        app.MapHttpFunction("ProveLedgerRecord", LedgerEndpoints.ProveRecordAsync).RequireAuthorization(Role.Auditor);
        app.MapHttpFunction("ProveLedgerConsistency", LedgerEndpoints.ProveConsistencyAsync).RequireAuthorization(Role.Auditor);
        app.MapHttpFunction("ExportLedger", LedgerEndpoints.ExportAsync).RequireAuthorization(Role.Auditor);
    }
}
