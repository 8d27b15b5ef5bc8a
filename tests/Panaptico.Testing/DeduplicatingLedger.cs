using System.Collections.Concurrent;
using Panaptico.Core.Ledger;

namespace Panaptico.Testing;

/// <summary>
/// The ledger's de-duplication as the ledger promises it (appending an entry whose <see cref="LedgerEntry.EntryId"/>
/// was appended before returns the first record and appends nothing), in front of a ledger that may not have it yet.
/// Calls reach the inner ledger in call order, which keeps its append order.
/// </summary>
public sealed class DeduplicatingLedger(ILedgerAppender inner) : ILedgerAppender
{
    private readonly ConcurrentDictionary<string, Lazy<Task<LedgerRecord>>> _byId = new(StringComparer.Ordinal);

    public Task<LedgerRecord> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken)
    {
        if (entry.EntryId is not { } id)
        {
            return inner.AppendAsync(entry, cancellationToken);
        }

        var first = _byId.GetOrAdd(id, _ => new Lazy<Task<LedgerRecord>>(() => inner.AppendAsync(entry, cancellationToken)));
        var append = first.Value;
        // A failed append appended nothing: the next caller tries again.
        _ = append.ContinueWith(
            t => _byId.TryRemove(KeyValuePair.Create(id, first)),
            CancellationToken.None,
            TaskContinuationOptions.NotOnRanToCompletion,
            TaskScheduler.Default);
        return append;
    }
}
