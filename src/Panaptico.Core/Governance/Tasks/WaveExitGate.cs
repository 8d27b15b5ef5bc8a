using System.Collections.Immutable;
using Panaptico.Core.Evidence;

namespace Panaptico.Core.Governance.Tasks;

/// <summary>A wave exits when every one of its tasks is sealed (a cancelled task is closed without a seal and does not hold it).</summary>
public static class WaveExitGate
{
    /// <param name="tasks">The wave's task rows; rows of other waves are ignored.</param>
    public static WaveExit Evaluate(Wave wave, IReadOnlyList<GovernedTask> tasks)
    {
        var mine = tasks.Where(t => t.WaveId == wave.Id).OrderBy(t => t.Id, StringComparer.Ordinal).ToList();
        return new WaveExit(
            wave.Id,
            mine.Count(t => t.State == TaskState.Sealed),
            mine.Count,
            [.. mine.Where(t => !t.IsTerminal).Select(t => t.Id)],
            [.. mine.Where(t => t.State == TaskState.Cancelled).Select(t => t.Id)],
            [.. mine.Where(t => t.Seal is not null).Select(t => new UpstreamSeal(new BundleSubject(BundleSubject.Task, t.Id), t.Seal!.BundleDigest))]);
    }
}

/// <param name="Waiting">Tasks the exit still waits on.</param>
/// <param name="ClosedWithoutSeal">Cancelled tasks, listed so the wave bundle says what was dropped.</param>
/// <param name="Seals">The task seals a wave bundle cites.</param>
public sealed record WaveExit(string WaveId, int Sealed, int Total, ImmutableArray<string> Waiting, ImmutableArray<string> ClosedWithoutSeal, ImmutableArray<UpstreamSeal> Seals)
{
    public bool IsClear => Total > 0 && Waiting.IsEmpty;

    /// <summary>"1 / 3 sealed".</summary>
    public string Progress => $"{Sealed} / {Total} sealed";
}
