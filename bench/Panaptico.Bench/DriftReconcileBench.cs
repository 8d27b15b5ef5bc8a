using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Panaptico.Core.Drift;

namespace Panaptico.Bench;

/// <summary>
/// `drift-reconcile [--objects 100000] [--fields 10] [--drift-per-mille 10]`: one sweep of objects × fields against
/// intent (exact, set-equal and case-insensitive comparators, envelopes), attributing every drift (Terraform runs in
/// 50 workspaces, a contract break per 100 drifts) and classifying it through the sample routing policy. Pinned to one
/// core; prints the sweep's CPU seconds, wall time, allocations and peak memory.
/// </summary>
public static class DriftReconcileBench
{
    private static readonly DateTimeOffset s_at = new(2026, 4, 15, 14, 22, 0, TimeSpan.Zero);

    public static Task RunAsync(string[] args)
    {
        var objectCount = Option(args, "--objects", 100_000);
        var fieldCount = Option(args, "--fields", 10);
        var perMille = Option(args, "--drift-per-mille", 10);
        PinToOneCore();

        var owner = new ObjectOwner("finance-platform", "oncall-finance", "dpark");
        var run = new ReasonOfRecord(ReasonKind.TerraformRun, "run-bench");
        var objects = new List<GraphObject>(objectCount);
        var live = new List<LiveObject>(objectCount);
        var random = new Random(491);
        var drifted = 0;
        for (var o = 0; o < objectCount; o++)
        {
            var intents = new Dictionary<string, IntendedValue>(fieldCount, StringComparer.Ordinal);
            var values = new Dictionary<string, JsonNode?>(fieldCount, StringComparer.Ordinal);
            for (var f = 0; f < fieldCount; f++)
            {
                var name = $"field{f}";
                (JsonNode? intended, JsonNode? read, Comparator comparator) = (f % 5) switch
                {
                    0 => ((JsonNode?)JsonValue.Create(o + f), (JsonNode?)JsonValue.Create(o + f), Comparator.Exact),
                    1 => (JsonValue.Create($"Value-{f}"), JsonValue.Create($"value-{f}"), Comparator.CaseInsensitive),
                    2 => (JsonValue.Create(true), JsonValue.Create(true), Comparator.Exact),
                    3 => (new JsonArray("a", "b", "c"), new JsonArray("c", "a", "b"), Comparator.SetEqual),
                    _ => (JsonValue.Create($"sku-{o % 7}"), JsonValue.Create($"sku-{o % 7}"), Comparator.Exact),
                };
                var intent = new IntendedValue(intended, run) { Comparator = comparator };
                if (f == 0)
                {
                    intent = intent with { Envelope = new Envelope(0, objectCount * 2) };
                }

                if (random.Next(1000) < perMille)
                {
                    drifted++;
                    read = f == 3 ? new JsonArray("a", "b", "d") : JsonValue.Create($"drifted-{o}-{f}");
                    if (drifted % 100 == 0)
                    {
                        intent = intent with { Contract = new IntentContract("IC-1", "bench") };
                    }
                }

                intents[name] = intent;
                values[name] = read;
            }

            objects.Add(new GraphObject($"obj-{o:D6}", "resource", "azure", "snapshot", "bench", owner) { Fields = intents, Workspace = $"ws-{o % 50}" });
            live.Add(new LiveObject($"obj-{o:D6}", values, s_at));
        }

        var runs = Enumerable.Range(0, 50).Select(w => new SourceEvent(SourceKind.TerraformRun, $"run-{w:D4}", s_at.AddMinutes(-1))
        {
            Workspace = $"ws-{w}",
            WindowStart = s_at.AddMinutes(-2),
            WindowEnd = s_at.AddMinutes(-1),
            Details = w % 2 == 0 ? System.Collections.Immutable.ImmutableDictionary<string, string>.Empty.Add(SourceDetail.Ticket, $"CHG-{w:D5}") : System.Collections.Immutable.ImmutableDictionary<string, string>.Empty,
        });
        var graph = ImplementationGraph.Restore(1, objects);
        var policy = RoutingPolicy.Parse(File.ReadAllText(RepositoryFile("src", "Panaptico.Core", "Drift", "routing-policy.sample.yaml")));
        var input = new SweepInput(graph, LiveState.Of(live, s_at), new DriftMemory(s_at.AddMinutes(-1), []), SourceIndex.Build(runs), AutomationIdentityRegistry.Empty, policy, s_at);
        Console.WriteLine($"drift-reconcile: {objectCount:N0} objects × {fieldCount} fields = {objectCount * fieldCount:N0} fields, {drifted:N0} drifted ({perMille}‰), one core, sample policy {policy.Name}");

        DriftSweep.Run(input); // warm-up: JIT
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocBefore = GC.GetTotalAllocatedBytes(precise: true);
        var wall = Stopwatch.StartNew();
        var outcome = DriftSweep.Run(input);
        wall.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocBefore;

        var r = outcome.Record;
        Console.WriteLine($"  {r.Render()}");
        Console.WriteLine($"  rows {outcome.Rows.Length:N0}, actions {outcome.Actions.Length:N0}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sweep: CPU {cpu.TotalSeconds:F3} s, wall {wall.Elapsed.TotalSeconds:F3} s, allocated {allocated / 1048576.0:F0} MiB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  peak working set {process.PeakWorkingSet64 / 1048576.0:F0} MiB (graph and live state included), GC heap after sweep {GC.GetTotalMemory(false) / 1048576.0:F0} MiB"));
        GC.KeepAlive(input);
        return Task.CompletedTask;
    }

    internal static void PinToOneCore()
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
        {
            Process.GetCurrentProcess().ProcessorAffinity = 1;
        }
    }

    internal static string RepositoryFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine([dir.FullName, .. parts]);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{Path.Combine(parts)} not found above the bench binaries");
    }

    internal static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
