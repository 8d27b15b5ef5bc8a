using System.Text.Json.Serialization;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation;

/// <summary>The governed fields as they must read after a plan has run.</summary>
public sealed record PredictedState(IReadOnlyList<FieldValue> Fields);

/// <summary>
/// The fix for one finding. <paramref name="Command"/> is the az CLI rendering people read and can re-run;
/// <paramref name="Operation"/> is what the connector executes. Both are pure functions of the finding, so the
/// same finding always yields byte-for-byte the same plan. <paramref name="Before"/> is the governed fields the
/// plan was made from: if the asset no longer reads that way when the backup is taken, the plan is stale.
/// </summary>
public sealed record FixPlan(
    string PatternId,
    AssetId Asset,
    string Action,
    string Command,
    StorageOperation Operation,
    IReadOnlyList<FieldValue> Before,
    PredictedState Predicted);

/// <summary>How a fix is undone: a plan computed from the backup, or a declaration that it cannot be.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "inverse")]
[JsonDerivedType(typeof(InversePlan), "plan")]
[JsonDerivedType(typeof(Irreversible), "irreversible")]
public abstract record Inverse;

/// <summary>Restores the governed element exactly as the backup holds it.</summary>
public sealed record InversePlan(
    string PatternId,
    AssetId Asset,
    string Action,
    string Command,
    StorageOperation Operation,
    PredictedState Predicted) : Inverse;

/// <summary>The fix cannot be undone; approving it needs an approval that says so.</summary>
public sealed record Irreversible(string Reason) : Inverse;
