namespace Panaptico.Storage.Account;

/// <summary>
/// Names of the app's tables, containers and queues. Production uses the plain names; tests and side-by-side
/// deployments on one account set a prefix (<c>Panaptico:StoragePrefix</c>, lowercase letters and digits).
/// </summary>
public sealed record StorageNames(string Prefix = "")
{
    /// <summary>A table name: letters and digits only.</summary>
    public string Table(string name) => Prefix + name;

    /// <summary>A blob container or queue name: lowercase, dashes allowed.</summary>
    public string Container(string name) => Prefix.Length == 0 ? name : $"{Prefix}-{name}";

    public string Queue(string name) => Container(name);

    public string LedgerTable => Table("ledger");
    public string KeyringTable => Table("keyring");
    public string OutboxTable => Table("outbox");
    public string EvidenceContainer => Container("evidence");
    public string BundlesContainer => Container("bundles");
    public string RollbackVaultContainer => Container("rollback-vault");
}
