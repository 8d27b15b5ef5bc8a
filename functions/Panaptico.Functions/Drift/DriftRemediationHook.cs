using Panaptico.Core.Drift;
using Panaptico.Core.Remediation.Chain;

namespace Panaptico.Functions.Drift;

/// <summary>
/// Our own remediation feeds the graph: at a change's close-out (its fix verified, its bundle stored; the chain records
/// it as Closed right after), the fields it changed take the change as their reason of record
/// (<see cref="RemediationIntent.FromClosedChange"/>), once per change, so the next sweep sees the fix as intended.
/// </summary>
public sealed class DriftRemediationHook(DriftGraph graphs, DriftSettings settings)
{
    public async Task OnCloseOutAsync(ChangeState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        // Every close-out passes here; most assets are not in the graph, and reading the whole graph for them is waste.
        if (!await graphs.HoldsAsync(state.Plan.Asset.ToString(), cancellationToken))
        {
            return;
        }
        var graph = await graphs.ReadAsync(cancellationToken);
        if (RemediationIntent.FromClosedChange(state, graph) is { } change)
        {
            await graphs.ApplyAsync($"remediation/{state.Id}", change, settings.ActorId, expectedVersion: null, cancellationToken);
        }
    }
}
