using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Runbooks;

namespace Panaptico.Core.Governance.Tasks;

/// <summary>
/// Everything one task's decisions need, as plain records a repository stores side by side (one partition per task:
/// the task row, requirement rows, artifact rows, the approval gate with its seats and signatures, runbook rows).
/// </summary>
public sealed record TaskRecord
{
    public required GovernedTask Task { get; init; }

    public ImmutableArray<EvidenceRequirement> Requirements { get; init; } = [];

    /// <summary>Every artifact captured, accepted or not; rejected ones stay as evidence with their reason.</summary>
    public ImmutableArray<EvidenceArtifact> Artifacts { get; init; } = [];

    /// <summary>Null until approvals are routed; a task no rule routes to has a gate with no seats.</summary>
    public ApprovalGateRecord? Approvals { get; init; }

    public Runbook? Runbook { get; init; }

    [JsonIgnore]
    public string Id => Task.Id;
}
