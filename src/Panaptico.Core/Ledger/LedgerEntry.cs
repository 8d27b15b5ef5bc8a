using System.Text.Json.Nodes;

namespace Panaptico.Core.Ledger;

/// <summary>
/// What a feature asks the ledger to record. The ledger assigns seq, at, prev and hash,
/// turning it into a <c>LedgerRecord</c>.
/// </summary>
/// <param name="Stream">The feature writing: "governance", "remediation", "evidence", "keyring", "drift".</param>
/// <param name="Kind">The event kind, e.g. "task.sealed", "change.approved".</param>
/// <param name="Subject">What the event is about, e.g. "TASK-0412" or "CHG-2026-0418-114".</param>
/// <param name="Actor">Who did it: a principal id, or "system:&lt;component&gt;".</param>
/// <param name="Data">Structured detail; never secrets.</param>
public sealed record LedgerEntry(string Stream, string Kind, string Subject, string Actor, JsonObject? Data)
{
    /// <summary>
    /// The entry's idempotency key, derived from the instance and step that append it (e.g. "CHG-2026-0418-114/fix").
    /// Appending an entry whose id the ledger already holds returns the first record and appends nothing: activities
    /// run at least once, and this is what makes their ledger writes happen once. Not part of the record's hashed shape.
    /// </summary>
    public string? EntryId { get; init; }
}
