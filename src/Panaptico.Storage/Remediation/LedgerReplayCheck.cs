using System.Text.Json.Nodes;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;

namespace Panaptico.Storage.Remediation;

/// <summary>
/// Recognises a remediation ledger entry that is already in the ledger, so an outbox row taken over from a dispatcher
/// that stopped half-way is not appended twice. A chain entry is identified by its change (subject), kind and
/// <c>historySequence</c>; only records from <c>since</c> on are read (the row's commit time less a clock-skew margin).
/// </summary>
public sealed class LedgerReplayCheck(TableLedger ledger)
{
    public const string SequenceField = "historySequence";

    /// <summary>For each entry, whether the ledger already holds it; one read of the records since <paramref name="since"/>.</summary>
    public async Task<bool[]> AppendedAsync(IReadOnlyList<LedgerEntry> entries, DateTimeOffset since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var found = new bool[entries.Count];
        if (entries.Count == 0 || await ledger.FindSeqRangeAsync(since, null, cancellationToken) is not { } seqs)
        {
            return found;
        }
        await foreach (var record in ledger.ReadRangeAsync(seqs.First, seqs.Last, cancellationToken))
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                found[i] |= record.Subject == entry.Subject && record.Kind == entry.Kind && record.Stream == entry.Stream
                    && record.Actor == entry.Actor && Sequence(record.Data) == Sequence(entry.Data);
            }
        }
        return found;
    }

    private static int? Sequence(JsonObject? data) =>
        data?[SequenceField] is JsonValue value && value.TryGetValue<int>(out var sequence) ? sequence : null;
}
