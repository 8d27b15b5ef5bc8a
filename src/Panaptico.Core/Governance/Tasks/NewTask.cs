using System.Collections.Immutable;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Runbooks;

namespace Panaptico.Core.Governance.Tasks;

/// <summary>What an operator declares when creating a task: its evidence requirements and runbook come up front.</summary>
public sealed record NewTask(string Id, string PlanId, string WaveId, string Title, string OwnerId)
{
    public ImmutableArray<string> UpstreamIds { get; init; } = [];

    public ImmutableArray<EvidenceRequirement> Requirements { get; init; } = [];

    public ImmutableArray<RunbookStep> RunbookSteps { get; init; } = [];
}

/// <summary>A created task and the adjacency rows (upstream → downstream) the repository writes with it.</summary>
public sealed record CreatedTask(TaskRecord Record, ImmutableArray<Dependencies.DependencyEdge> Edges);
