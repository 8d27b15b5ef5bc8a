namespace Panaptico.Core.Ledger;

/// <summary>The one way features write to the audit ledger. Implemented over Table storage.</summary>
public interface ILedgerAppender
{
    Task<LedgerRecord> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken);
}
