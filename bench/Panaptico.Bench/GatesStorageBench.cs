using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Panaptico.Core.Governance.Dependencies;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Storage.Account;
using Panaptico.Storage.Azurite;
using Panaptico.Storage.Governance;

namespace Panaptico.Bench;

/// <summary>
/// `gates-storage [--tasks 10000] [--edges 50000] [--seals 200] [--seed 491]`: the same re-evaluation as `gates`, but
/// through the repositories on Table storage (Azurite; or the account in PANAPTICO_BENCH_STORAGE). Stores N task
/// partitions and E adjacency rows, then seals a sample of tasks and runs <see cref="DownstreamRelease"/> for each
/// (what the ReleaseDownstream orchestration's activities do, one after another here), counting every storage request
/// it makes and the CPU this process spends.
/// </summary>
public static class GatesStorageBench
{
    private static readonly DateTimeOffset s_now = new(2026, 4, 21, 13, 0, 0, TimeSpan.Zero);
    private static readonly Principal s_operator = new("op.bench", "Bench", new HashSet<string> { Role.Operator });

    public static async Task RunAsync(string[] args)
    {
        var taskCount = Option(args, "--tasks", 10_000);
        var edgeCount = Option(args, "--edges", 50_000);
        var sealCount = Option(args, "--seals", 200);
        var seed = Option(args, "--seed", 491);
        Console.WriteLine($"gates-storage: {taskCount:N0} tasks, {edgeCount:N0} edges (random DAG, seed {seed}), {sealCount} seals");

        await using var azurite = Environment.GetEnvironmentVariable("PANAPTICO_BENCH_STORAGE") is { Length: > 0 } ? null : await AzuriteProcess.StartAsync();
        var connection = Environment.GetEnvironmentVariable("PANAPTICO_BENCH_STORAGE") is { Length: > 0 } given ? given : azurite!.ConnectionString;
        var counter = new RequestCounter();
        var options = new TableClientOptions();
        options.AddPolicy(counter, HttpPipelinePosition.PerCall);
        var tables = new GovernanceTables(new TableServiceClient(connection, options), new StorageNames("bench" + Guid.NewGuid().ToString("N")[..10]));
        await tables.EnsureCreatedAsync(CancellationToken.None);
        var repository = new TaskRepository(tables);
        var index = new DependencyIndex(tables);
        // The ledger and notifier are not what is measured: the release's own rows (task row and outbox) are.
        var release = new DownstreamRelease(repository, index, new TaskOutbox(tables, new NoLedger(), new NoNotifier()), TimeProvider.System);

        // The plan, built through the domain as the app builds it.
        var ids = Enumerable.Range(0, taskCount).Select(i => $"TASK-{i:D5}").ToArray();
        var edges = RandomDag(taskCount, edgeCount, seed).Select(e => new DependencyEdge(ids[e.Up], ids[e.Down])).ToList();
        var plan = Plan.Create("PLAN-BENCH", "bench", [new Wave("W1", 1, "all")], s_operator, s_now).Value!;
        var upstreamsOf = edges.GroupBy(e => e.DownstreamTaskId).ToDictionary(g => g.Key, g => g.Select(e => e.UpstreamTaskId).ToList());
        var requirement = new EvidenceRequirement("export", "Config export", EvidenceKind.FileExport);
        var rows = new Dictionary<string, GovernedTask>(taskCount, StringComparer.Ordinal);
        var records = new List<TaskRecord>(taskCount);
        foreach (var id in ids)
        {
            var upstreamIds = upstreamsOf.GetValueOrDefault(id) ?? [];
            var spec = new NewTask(id, plan.Id, "W1", id, "owner") { UpstreamIds = [.. upstreamIds], Requirements = [requirement] };
            var created = TaskLifecycle.Create(plan, spec, [.. upstreamIds.Select(u => rows[u])], s_operator, s_now).Value!;
            var ready = TaskLifecycle.MarkReady(created.Record, s_operator, "declared", s_now).Value!;
            rows[id] = ready.Task;
            records.Add(ready);
        }

        var load = Stopwatch.StartNew();
        await Parallel.ForEachAsync(records, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (record, ct) => await repository.CreateAsync(record, ct));
        await Parallel.ForEachAsync(edges.GroupBy(e => e.UpstreamTaskId), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (group, ct) => await index.AddAsync(group, ct));
        Console.WriteLine($"  stored {taskCount:N0} task partitions and {edgeCount:N0} adjacency rows in {load.Elapsed.TotalSeconds:N1} s ({counter.Total:N0} requests)");

        // Seal a sample (the tasks with the most downstream first, then random ones) and release what waits on each.
        var random = new Random(seed);
        var sample = ids.Take(sealCount / 2).Concat(ids.Skip(sealCount / 2).OrderBy(_ => random.Next()).Take(sealCount - sealCount / 2)).ToList();
        await SealAndReleaseAsync(repository, release, sample.Take(5).ToList(), new RequestCounter()); // warm-up
        counter.Reset();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var (touched, written, perSeal) = await SealAndReleaseAsync(repository, release, sample.Skip(5).ToList(), counter);
        wall.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var seals = perSeal.Count;
        perSeal.Sort();
        var direct = sample.Skip(5).Sum(id => edges.Count(e => e.UpstreamTaskId == id));

        Console.WriteLine($"  release per seal over {seals} seals:");
        Console.WriteLine($"    CPU of this process (storage client included): {cpu.TotalMilliseconds / seals:N2} ms");
        Console.WriteLine($"    wall (Azurite round trips included): mean {perSeal.Average():N2} ms, p50 {perSeal[seals / 2]:N2} ms, max {perSeal[^1]:N2} ms");
        Console.WriteLine($"    rows: touched {(double)touched / seals:N2} = direct downstream {(double)direct / seals:N2} ({touched == direct}), written {(double)written / seals:N2}; the plan has {taskCount:N0}");
        Console.WriteLine($"    storage requests: {(double)counter.Total / seals:N2} per seal — {counter.Describe(seals)}");
        Console.WriteLine($"  total {wall.Elapsed.TotalSeconds:N2} s");
    }

    private static async Task<(long Touched, long Written, List<double> PerSeal)> SealAndReleaseAsync(
        TaskRepository repository, DownstreamRelease release, List<string> ids, RequestCounter counter)
    {
        long touched = 0, written = 0;
        var perSeal = new List<double>();
        foreach (var id in ids)
        {
            // The seal is the task's own write; what is measured is the release it triggers.
            counter.Enabled = false;
            var row = (await repository.GetRowAsync(id, CancellationToken.None))!;
            var sealedTask = row.Task with { State = TaskState.Sealed, Seal = new TaskSeal(new string('a', 64), s_operator.Id, s_now) };
            await repository.SaveRowAsync(row, sealedTask, CancellationToken.None);

            counter.Enabled = true;
            var start = Stopwatch.GetTimestamp();
            var summary = await release.RunAsync(sealedTask, CancellationToken.None);
            perSeal.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            touched += summary.Touched;
            written += summary.Written;
        }

        return (touched, written, perSeal);
    }

    /// <summary>Random DAG: edges only from a lower to a higher index, so no cycle; unique pairs.</summary>
    private static List<(int Up, int Down)> RandomDag(int tasks, int edges, int seed)
    {
        var random = new Random(seed);
        var seen = new HashSet<(int, int)>();
        while (seen.Count < edges)
        {
            var a = random.Next(tasks);
            var b = random.Next(tasks);
            if (a != b)
            {
                seen.Add((Math.Min(a, b), Math.Max(a, b)));
            }
        }

        return [.. seen];
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>Counts requests by kind while enabled (the seal's own read and write are not charged to the release).</summary>
    private sealed class RequestCounter : HttpPipelinePolicy
    {
        private readonly ConcurrentDictionary<string, long> _byKind = new();

        public bool Enabled { get; set; } = true;

        public long Total => _byKind.Values.Sum();

        public void Reset() => _byKind.Clear();

        public string Describe(int seals) =>
            string.Join(", ", _byKind.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key} {(double)k.Value / seals:N2}"));

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Count(message);
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            Count(message);
            return ProcessNextAsync(message, pipeline);
        }

        private void Count(HttpMessage message)
        {
            if (!Enabled)
            {
                return;
            }

            var kind = message.Request.Method.ToString() switch
            {
                "GET" when message.Request.Uri.Query.Contains("filter", StringComparison.OrdinalIgnoreCase) => "partition query",
                "GET" => "point read",
                "PUT" or "MERGE" => "row write",
                var method => method.ToLowerInvariant(),
            };
            _byKind.AddOrUpdate(kind, 1, (_, n) => n + 1);
        }
    }

    private sealed class NoLedger : ILedgerAppender
    {
        public Task<LedgerRecord> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken) => Task.FromResult<LedgerRecord>(null!);
    }

    private sealed class NoNotifier : INotifier
    {
        public Task NotifyAsync(Notification notification, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
