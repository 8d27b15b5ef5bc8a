using System.Diagnostics;
using System.Globalization;
using Panaptico.Core.Governance.Dependencies;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;

namespace Panaptico.Bench;

/// <summary>
/// `gates [--tasks 10000] [--edges 50000] [--passes 5] [--seed 491]`: dependency-gate re-evaluation when one task seals,
/// in a plan of N tasks and E random DAG edges. Each pass seals every task once in topological order; per seal it
/// looks up the adjacency index, loads the direct downstream rows, runs <see cref="DependencyGate.OnUpstreamSealed"/>
/// and writes back the rows it changed. Reports CPU per seal and rows touched vs. affected.
/// </summary>
public static class GatesBench
{
    private static readonly DateTimeOffset s_now = new(2026, 4, 21, 13, 0, 0, TimeSpan.Zero);
    private static readonly Principal s_operator = new("op.bench", "Bench", new HashSet<string> { Role.Operator });

    public static Task RunAsync(string[] args)
    {
        var taskCount = Option(args, "--tasks", 10_000);
        var edgeCount = Option(args, "--edges", 50_000);
        var passes = Option(args, "--passes", 5);
        var seed = Option(args, "--seed", 491);
        if (edgeCount > (long)taskCount * (taskCount - 1) / 2)
        {
            throw new ArgumentException("more edges than a DAG of that many tasks can hold");
        }

        Console.WriteLine($"gates: {taskCount:N0} tasks, {edgeCount:N0} dependency edges (random DAG, seed {seed}), {passes} passes");

        var ids = Enumerable.Range(0, taskCount).Select(i => $"TASK-{i:D5}").ToArray();
        var edges = RandomDag(taskCount, edgeCount, seed).Select(e => new DependencyEdge(ids[e.Up], ids[e.Down])).ToList();

        // Build the plan through the domain: create every task (upstreams first), mark it ready (Blocked when it has upstreams).
        var build = Stopwatch.StartNew();
        var plan = Plan.Create("PLAN-BENCH", "bench", [new Wave("W1", 1, "all")], s_operator, s_now).Value!;
        var upstreamsOf = edges.GroupBy(e => e.DownstreamTaskId).ToDictionary(g => g.Key, g => g.Select(e => e.UpstreamTaskId).ToList());
        var rows = new Dictionary<string, GovernedTask>(taskCount, StringComparer.Ordinal);
        var requirement = new EvidenceRequirement("export", "Config export", EvidenceKind.FileExport);
        foreach (var id in ids)
        {
            var upstreamIds = upstreamsOf.GetValueOrDefault(id) ?? [];
            var spec = new NewTask(id, plan.Id, "W1", id, $"owner-{id[^2..]}") { UpstreamIds = [.. upstreamIds], Requirements = [requirement] };
            var created = TaskLifecycle.Create(plan, spec, [.. upstreamIds.Select(u => rows[u])], s_operator, s_now).Value!;
            rows[id] = TaskLifecycle.MarkReady(created.Record, s_operator, "declared", s_now).Value!.Task;
        }

        var graph = DependencyGraph.Build(edges);
        if (!graph.IsAccepted)
        {
            throw new InvalidOperationException(graph.Refusal.Message);
        }

        build.Stop();
        var blocked = rows.Values.Count(r => r.State == TaskState.Blocked);
        Console.WriteLine($"  plan built through the domain in {build.ElapsedMilliseconds:N0} ms: {blocked:N0} tasks Blocked, {taskCount - blocked:N0} Ready; index holds {graph.Value.EdgeCount:N0} edges");

        var digest = new string('a', 64);
        var perSeal = new List<double>(taskCount * passes);
        long touched = 0, affected = 0, written = 0, released = 0, maxAffected = 0;
        double worstMs = 0;
        var cpu = TimeSpan.Zero;
        var allocated = 0L;
        for (var pass = 0; pass < passes + 1; pass++)
        {
            var state = new Dictionary<string, GovernedTask>(rows, StringComparer.Ordinal);
            var warmup = pass == 0;

            // Start each pass from a collected heap so one pass's garbage is not charged to the next one's seals.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var allocBefore = GC.GetAllocatedBytesForCurrentThread();
            foreach (var id in ids)
            {
                // The seal itself is the task's own write; what is measured is the re-evaluation it triggers.
                var sealedTask = state[id] with { State = TaskState.Sealed, Seal = new TaskSeal(digest, s_operator.Id, s_now) };
                state[id] = sealedTask;

                var start = Stopwatch.GetTimestamp();
                var downstreamIds = graph.Value.DownstreamOf(id);
                var downstream = new GovernedTask[downstreamIds.Count];
                for (var i = 0; i < downstream.Length; i++)
                {
                    downstream[i] = state[downstreamIds[i]];
                }

                var release = DependencyGate.OnUpstreamSealed(sealedTask, downstream, s_now).Value!;
                foreach (var row in release.Updated)
                {
                    state[row.Id] = row;
                }

                var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (!warmup)
                {
                    perSeal.Add(elapsed);
                    touched += release.Touched;
                    affected += downstreamIds.Count;
                    written += release.Updated.Length;
                    released += release.Released.Length;
                    if (downstreamIds.Count > maxAffected)
                    {
                        (maxAffected, worstMs) = (downstreamIds.Count, elapsed);
                    }
                }
            }

            if (!warmup)
            {
                cpu += Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                allocated += GC.GetAllocatedBytesForCurrentThread() - allocBefore;
                var stillBlocked = state.Values.Count(r => r.State == TaskState.Blocked);
                if (stillBlocked != 0)
                {
                    throw new InvalidOperationException($"{stillBlocked} tasks still blocked after every task sealed");
                }
            }
        }

        var seals = perSeal.Count;
        perSeal.Sort();
        Console.WriteLine($"  re-evaluation per seal over {seals:N0} seals ({passes} passes × {taskCount:N0}):");
        Console.WriteLine($"    CPU (process time / seals): {cpu.TotalMilliseconds / seals * 1000:N1} µs = {cpu.TotalMilliseconds / seals:N4} ms");
        Console.WriteLine($"    wall per seal: mean {perSeal.Average() * 1000:N1} µs, p50 {Percentile(perSeal, 0.50) * 1000:N1} µs, p99 {Percentile(perSeal, 0.99) * 1000:N1} µs, max {perSeal[^1] * 1000:N1} µs");
        Console.WriteLine($"    widest seal: {maxAffected} direct downstream tasks in {worstMs * 1000:N1} µs");
        Console.WriteLine($"    allocated per seal: {allocated / seals:N0} bytes");
        Console.WriteLine($"  rows per seal: touched {(double)touched / seals:N2}, affected (direct downstream) {(double)affected / seals:N2}, written {(double)written / seals:N2}, released {(double)released / seals:N2}");
        Console.WriteLine($"  touched == affected over all seals: {touched == affected} ({touched:N0} vs {affected:N0}); a full rescan would read {taskCount:N0} rows per seal");
        Console.WriteLine($"  storage operations a repository would issue per seal: 1 index query + {(double)touched / seals:N2} row reads + {(double)written / seals:N2} row writes");

        // Transitive reach: what a seal does NOT touch. Sample the first 100 seals (the widest reach in index order).
        var sample = ids.Take(100).ToList();
        var transitive = sample.Sum(id => Reach(graph.Value, id));
        var direct = sample.Sum(id => graph.Value.DownstreamOf(id).Count);
        Console.WriteLine($"  first 100 tasks: {transitive / 100.0:N1} tasks transitively downstream on average, {direct / 100.0:N2} touched");

        // Cycle check at AddDependency: back-edges from late tasks to early ones, each refused by a breadth-first search.
        var random = new Random(seed + 1);
        var cycleTimes = new List<double>();
        var refused = 0;
        for (var i = 0; i < 200; i++)
        {
            var from = ids[random.Next(taskCount / 2, taskCount)];
            var to = ids[random.Next(0, taskCount / 10)];
            var start = Stopwatch.GetTimestamp();
            var cycle = graph.Value.CycleThrough(new DependencyEdge(from, to));
            cycleTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            refused += cycle.IsEmpty ? 0 : 1;
        }

        cycleTimes.Sort();
        Console.WriteLine($"  cycle check of an added edge (200 late → early edges, {refused} would close a cycle): p50 {Percentile(cycleTimes, 0.5):N2} ms, max {cycleTimes[^1]:N2} ms");
        return Task.CompletedTask;
    }

    /// <summary>Distinct edges (up &lt; down by index, so acyclic and topologically ordered by index).</summary>
    private static IEnumerable<(int Up, int Down)> RandomDag(int tasks, int edges, int seed)
    {
        var random = new Random(seed);
        var seen = new HashSet<long>();
        while (seen.Count < edges)
        {
            var a = random.Next(tasks);
            var b = random.Next(tasks);
            if (a == b)
            {
                continue;
            }

            var (up, down) = a < b ? (a, b) : (b, a);
            if (seen.Add(((long)up * tasks) + down))
            {
                yield return (up, down);
            }
        }
    }

    private static int Reach(DependencyGraph graph, string id)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>([id]);
        while (queue.TryDequeue(out var current))
        {
            foreach (var next in graph.DownstreamOf(current))
            {
                if (seen.Add(next))
                {
                    queue.Enqueue(next);
                }
            }
        }

        return seen.Count;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
