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

/// <summary>The side effect a working stage performs; its result comes back as the event that moves the change on.</summary>
public enum ChainStep
{
    TakeBackup,
    ApplyFix,
    VerifyFix,
    StoreRollbackBundle,
    SendCloseOut,
    RestoreFromBackup,
    RevertChange,
}

public static class ChangeStages
{
    public static bool IsTerminal(this ChangeStage stage) =>
        stage is ChangeStage.WontFix or ChangeStage.Expired or ChangeStage.RolledBack or ChangeStage.Reverted or ChangeStage.Stuck;

    /// <summary>The side effect due at a working stage; null where the change waits (approval, the rollback window) or has ended.</summary>
    public static ChainStep? StepAt(this ChangeStage stage) => stage switch
    {
        ChangeStage.Backup => ChainStep.TakeBackup,
        ChangeStage.Fix => ChainStep.ApplyFix,
        ChangeStage.Verify => ChainStep.VerifyFix,
        ChangeStage.RollbackBundle => ChainStep.StoreRollbackBundle,
        ChangeStage.Alert => ChainStep.SendCloseOut,
        ChangeStage.Restoring => ChainStep.RestoreFromBackup,
        ChangeStage.Reverting => ChainStep.RevertChange,
        _ => null,
    };

    /// <summary>Kebab-case name used in history, ledger and JSON ("rollback-bundle", "wont-fix").</summary>
    public static string Name(this ChangeStage stage) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(stage.ToString());
}
