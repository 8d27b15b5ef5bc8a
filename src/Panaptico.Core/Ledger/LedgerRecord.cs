using System.Text.Json.Nodes;

namespace Panaptico.Core.Ledger;

/// <summary>
/// One line of the audit ledger. Every kind of event has this shape; every field is always present.
/// <paramref name="Hash"/> covers the canonical JSON of all other fields, <paramref name="Prev"/> is the previous record's hash.
/// </summary>
public sealed record LedgerRecord(
    long Seq,
    DateTimeOffset At,
    string Stream,
    string Kind,
    string Subject,
    string Actor,
    JsonObject? Data,
    string? Prev,
    string Hash);
