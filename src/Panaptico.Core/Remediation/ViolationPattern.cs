using System.Text.Json;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Core.Remediation;

/// <summary>
/// A violation pattern: policy as code plus data, one class per pattern (Cloud Custodian's filter + action, typed).
/// A pattern says which fields of an asset it governs (<see cref="Project"/>), when they break the rule
/// (<see cref="FindViolations"/>), the absolute write that fixes them (<see cref="Fix"/>) and the one that puts the
/// backup back (<see cref="Restore"/>); detection, plans, predictions, verification and inverses follow from those.
/// </summary>
public abstract class ViolationPattern
{
    /// <summary>Stable id, e.g. <c>AZ-STG-001</c>.</summary>
    public abstract string Id { get; }

    public abstract string Title { get; }

    public abstract Severity Severity { get; }

    /// <summary>The primary control first (the one the ticket's violation line names), then its siblings.</summary>
    public abstract IReadOnlyList<FrameworkControl> Frameworks { get; }

    public abstract AppliesTo AppliesTo { get; }

    /// <summary>What the fix does, in the approval request's words, e.g. "remove public access".</summary>
    public abstract string FixAction { get; }

    /// <summary>Null when the fix can be undone from its backup; otherwise why it cannot.</summary>
    public virtual string? IrreversibleReason => null;

    public bool IsReversible => IrreversibleReason is null;

    /// <summary>The backup's file name in the rollback vault when the pattern names none of its own.</summary>
    public const string DefaultBackupFile = "backup.json";

    /// <summary>The name the backup of a change is stored (and an inverse command refers to it) under.</summary>
    public virtual string BackupFile(ChangeId change) => DefaultBackupFile;

    /// <summary>The backup's bytes: the asset state as remediation JSON, unless the pattern stores a file a CLI reads back.</summary>
    public virtual byte[] WriteBackup(AssetState asset) => JsonSerializer.SerializeToUtf8Bytes(asset, RemediationJson.Options);

    /// <summary>The state a stored backup holds (what <see cref="WriteBackup"/> wrote), for the asset it was taken of.</summary>
    public virtual AssetState ReadBackup(AssetId asset, byte[] backup)
    {
        var state = JsonSerializer.Deserialize<AssetState>(backup, RemediationJson.Options) ?? throw new JsonException("the stored backup is empty");
        return state.Id == asset ? state : throw new JsonException($"the stored backup is of {state.Id}, not {asset}");
    }

    public IReadOnlyList<Finding> Detect(AccountScan state)
    {
        var findings = new List<Finding>();
        foreach (var asset in state.Assets)
        {
            if (Evaluate(asset, state.TagsOf(asset), state.ReadAt) is { } finding)
            {
                findings.Add(finding);
            }
        }
        return findings;
    }

    /// <summary>Checks one asset (the event path's targeted re-check). Null when the asset is out of scope or compliant.</summary>
    public Finding? Evaluate(AssetState asset, IReadOnlyDictionary<string, string> tags, DateTimeOffset readAt)
    {
        if (!AppliesTo.Matches(asset, tags))
        {
            return null;
        }
        var evidence = FindViolations(asset, readAt);
        return evidence.Count == 0 ? null : new Finding(Id, asset.Id, tags, evidence, asset, readAt);
    }

    public FixPlan PlanFix(Finding finding)
    {
        if (finding.PatternId != Id)
        {
            throw new ArgumentException($"finding of {finding.PatternId} given to {Id}", nameof(finding));
        }
        var operation = Fix(finding.State, finding.DetectedAt);
        return new FixPlan(
            Id,
            finding.Asset,
            FixAction,
            CliCommand.For(operation, finding.State),
            operation,
            Project(finding.State),
            new PredictedState(Project(operation.ApplyTo(finding.State))));
    }

    /// <summary>Compares a read-back with a prediction (a fix's, or an inverse's) field by field.</summary>
    public Verification Verify(PredictedState predicted, AssetState observed) =>
        Verification.Compare(predicted, Project(observed));

    /// <summary>
    /// The inverse of <paramref name="fix"/>, computed from the backup taken before it ran. The command is rendered
    /// against the state the fix leaves behind, so it reads as what a revert would change. <paramref name="backupFile"/>
    /// is the backup's name in the vault (<see cref="BackupFile"/>), which a command may read the old state from.
    /// </summary>
    public Inverse Inverse(FixPlan fix, AssetState backup, string backupFile = DefaultBackupFile)
    {
        ArgumentNullException.ThrowIfNull(fix);
        if (IrreversibleReason is { } reason)
        {
            return new Irreversible(reason);
        }
        var operation = Restore(backup, backupFile);
        return new InversePlan(
            Id,
            backup.Id,
            $"restore the state before: {FixAction}",
            CliCommand.For(operation, fix.Operation.ApplyTo(backup)),
            operation,
            new PredictedState(Project(backup)));
    }

    /// <summary>The governed fields of an asset, in a stable order and text form.</summary>
    public abstract IReadOnlyList<FieldValue> Project(AssetState asset);

    /// <summary>The fields that break the rule, with what was seen. Empty when compliant.</summary>
    protected abstract IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt);

    /// <summary>The absolute write that makes the asset compliant, planned from its state at detection.</summary>
    protected abstract StorageOperation Fix(AssetState asset, DateTimeOffset readAt);

    /// <summary>The absolute write that puts the governed element back as the backup (stored as <paramref name="backupFile"/>) holds it.</summary>
    protected abstract StorageOperation Restore(AssetState backup, string backupFile);

    protected T Expect<T>(AssetState asset) where T : AssetState =>
        asset as T ?? throw new ArgumentException($"{Id} governs {typeof(T).Name}, not {asset.GetType().Name}", nameof(asset));
}
