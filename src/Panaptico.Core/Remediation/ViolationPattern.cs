using Panaptico.Core.Remediation.Assets;

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

    public IReadOnlyList<Finding> Detect(StorageAccountState state)
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
            AzCli.Render(operation, finding.State),
            operation,
            Project(finding.State),
            new PredictedState(Project(operation.ApplyTo(finding.State))));
    }

    /// <summary>Compares a read-back with a prediction (a fix's, or an inverse's) field by field.</summary>
    public Verification Verify(PredictedState predicted, AssetState observed) =>
        Verification.Compare(predicted, Project(observed));

    /// <summary>
    /// The inverse of <paramref name="fix"/>, computed from the backup taken before it ran. The command is rendered
    /// against the state the fix leaves behind, so it reads as what a revert would change.
    /// </summary>
    public Inverse Inverse(FixPlan fix, AssetState backup)
    {
        if (IrreversibleReason is { } reason)
        {
            return new Irreversible(reason);
        }
        var operation = Restore(backup);
        return new InversePlan(
            Id,
            backup.Id,
            $"restore the state before: {FixAction}",
            AzCli.Render(operation, fix.Operation.ApplyTo(backup)),
            operation,
            new PredictedState(Project(backup)));
    }

    /// <summary>The governed fields of an asset, in a stable order and text form.</summary>
    public abstract IReadOnlyList<FieldValue> Project(AssetState asset);

    /// <summary>The fields that break the rule, with what was seen. Empty when compliant.</summary>
    protected abstract IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt);

    /// <summary>The absolute write that makes the asset compliant, planned from its state at detection.</summary>
    protected abstract StorageOperation Fix(AssetState asset, DateTimeOffset readAt);

    /// <summary>The absolute write that puts the governed element back as the backup holds it.</summary>
    protected abstract StorageOperation Restore(AssetState backup);

    protected T Expect<T>(AssetState asset) where T : AssetState =>
        asset as T ?? throw new ArgumentException($"{Id} governs {typeof(T).Name}, not {asset.GetType().Name}", nameof(asset));
}
