namespace Panaptico.Core.Remediation.Chain;

/// <summary>
/// Where a change is. The main path runs Ticket → Approval → Backup → Fix → Verify → RollbackBundle → Alert →
/// Closed; Restoring and Reverting are the side paths' working stages; the rest are terminal.
/// </summary>
public enum ChangeStage
{
    Ticket,
    Approval,
    Backup,
    Fix,
    Verify,
    RollbackBundle,
    Alert,
    Closed,
    Reverting,

    /// <summary>Denied, with the reason on the record.</summary>
    WontFix,

    /// <summary>Nobody decided before the approval request expired; nothing was changed.</summary>
    Expired,

    /// <summary>Verification after the fix did not match; the backup was restored (and verified).</summary>
    Restoring,
    RolledBack,

    /// <summary>An authorised revert restored the state before the fix.</summary>
    Reverted,

    /// <summary>Parked for a person: a step kept failing, a plan went stale, or a restore did not verify.</summary>
    Stuck,
}

/// <summary>The work a queue message asks a handler to do for a change.</summary>
public enum ChainStep
{
    /// <summary>A timer: closes the approval request as expired if nobody decided.</summary>
    ExpireApproval,
    TakeBackup,
    ApplyFix,
    VerifyFix,
    StoreRollbackBundle,
    SendCloseOut,
    RestoreFromBackup,
    RevertChange,
}

/// <summary>A step to enqueue; a delay makes it a durable timer (queue visibility delay).</summary>
public sealed record ChainMessage(Tickets.ChangeId ChangeId, ChainStep Step, TimeSpan Delay);

public static class ChangeStages
{
    public static bool IsTerminal(this ChangeStage stage) =>
        stage is ChangeStage.WontFix or ChangeStage.Expired or ChangeStage.RolledBack or ChangeStage.Reverted or ChangeStage.Stuck;

    /// <summary>The stage at which a step's message is due; at any other stage the message is stale and is acked unrun.</summary>
    public static ChangeStage DueAt(this ChainStep step) => step switch
    {
        ChainStep.ExpireApproval => ChangeStage.Approval,
        ChainStep.TakeBackup => ChangeStage.Backup,
        ChainStep.ApplyFix => ChangeStage.Fix,
        ChainStep.VerifyFix => ChangeStage.Verify,
        ChainStep.StoreRollbackBundle => ChangeStage.RollbackBundle,
        ChainStep.SendCloseOut => ChangeStage.Alert,
        ChainStep.RestoreFromBackup => ChangeStage.Restoring,
        ChainStep.RevertChange => ChangeStage.Reverting,
        _ => throw new ArgumentOutOfRangeException(nameof(step), step, null),
    };

    /// <summary>Kebab-case name used in history, ledger and JSON ("rollback-bundle", "wont-fix").</summary>
    public static string Name(this ChangeStage stage) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(stage.ToString());
}
