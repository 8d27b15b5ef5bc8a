namespace Panaptico.Core.Governance.Tasks;

/// <summary>
/// Draft → Ready → Active ⇄ Held → Sealed, with Blocked while an upstream task is unsealed and Cancelled at any point
/// (by an operator, or as won't-fix when an approval is denied).
/// </summary>
public enum TaskState
{
    Draft,
    Ready,
    Blocked,
    Active,
    Held,
    Sealed,
    Cancelled,
}

public enum ClosureKind
{
    Cancelled,
    WontFix,
}
