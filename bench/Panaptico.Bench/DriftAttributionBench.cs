using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Panaptico.Core.Drift;

namespace Panaptico.Bench;

/// <summary>
/// `drift-attribution [--drifts 9305] [--events 40000] [--objects 20000]`: a day of drift (the seed's 24 h volume:
/// 8,902 + 389 + 11 + 3) attributed against a day of source records (Resource Graph / Activity Log / directory audits /
/// CloudTrail touching objects, Terraform runs in 50 workspaces, change records), first through the
/// <see cref="SourceIndex"/> joins, then by a naive nested loop applying the same rules to every record for every drift.
/// Prints both times, the ratio, and how many answers agree.
/// </summary>
public static class DriftAttributionBench
{
    private static readonly DateTimeOffset s_day = new(2026, 4, 15, 0, 0, 0, TimeSpan.Zero);
    private const string TerraformApp = "tf-app";

    public static Task RunAsync(string[] args)
    {
        var driftCount = DriftReconcileBench.Option(args, "--drifts", 9_305);
        var eventCount = DriftReconcileBench.Option(args, "--events", 40_000);
        var objectCount = DriftReconcileBench.Option(args, "--objects", 20_000);
        DriftReconcileBench.PinToOneCore();
        var random = new Random(604);
        var owner = new ObjectOwner("t", "o", "a");
        var reason = new ReasonOfRecord(ReasonKind.TerraformRun, "run-0");
        var objects = Enumerable.Range(0, objectCount).Select(o => new GraphObject($"obj-{o:D5}", "resource", "azure", "snapshot", "bench", owner)
        {
            Aliases = [$"/subscriptions/s/resourceGroups/rg/providers/p/{o}"],
            Workspace = $"ws-{o % 50}",
            Fields = new Dictionary<string, IntendedValue> { ["f"] = new(1, reason) },
        }).ToArray();
        DateTimeOffset Time() => s_day.AddSeconds(random.Next(86_400));
        var identities = new AutomationIdentityRegistry([new AutomationIdentity(TerraformApp, AutomationKind.Terraform, "terraform"), new AutomationIdentity("AWS Internal", AutomationKind.Vendor, "aws")]);

        var events = new List<SourceEvent>(eventCount);
        var runs = eventCount / 40;
        var changes = eventCount / 13;
        for (var i = 0; i < runs; i++)
        {
            var start = Time();
            events.Add(new SourceEvent(SourceKind.TerraformRun, $"run-{i:D5}", start.AddMinutes(2)) { Workspace = $"ws-{i % 50}", WindowStart = start, WindowEnd = start.AddMinutes(2), Details = ImmutableDictionary<string, string>.Empty.Add(SourceDetail.Ticket, $"CHG-{i:D5}") });
        }

        for (var i = 0; i < changes; i++)
        {
            var start = Time();
            events.Add(new SourceEvent(SourceKind.ChangeRecord, $"CHG-X{i:D5}", start) { Objects = [objects[random.Next(objectCount)].Id], WindowStart = start, WindowEnd = start.AddMinutes(30) });
        }

        var touches = new List<SourceEvent>();
        while (events.Count < eventCount)
        {
            var obj = objects[random.Next(objectCount)];
            var kind = random.Next(4) switch { 0 => SourceKind.ResourceGraph, 1 => SourceKind.ActivityLog, 2 => SourceKind.EntraAudit, _ => SourceKind.CloudTrail };
            var actor = random.Next(10) switch { < 3 => TerraformApp, 3 => "AWS Internal", _ => $"user{random.Next(500)}@acme.com" };
            var e = new SourceEvent(kind, $"ev-{events.Count:D6}", Time())
            {
                Objects = [random.Next(2) == 0 ? obj.Id : obj.Aliases[0]],
                Actor = actor,
                CorrelationId = $"corr-{random.Next(eventCount)}",
                Fields = random.Next(3) == 0 ? [] : ["f"],
            };
            events.Add(e);
            touches.Add(e);
        }

        // A day of drift: most on an object a record touched shortly before the sweep saw it, the rest on any object.
        var byReference = objects.SelectMany(o => o.References.Select(r => (r, o))).ToDictionary(p => p.r, p => p.o);
        var drifts = new List<(GraphObject Obj, DriftDelta Drift)>(driftCount);
        for (var i = 0; i < driftCount; i++)
        {
            GraphObject obj;
            DateTimeOffset seen;
            if (random.Next(10) < 8)
            {
                var touch = touches[random.Next(touches.Count)];
                obj = byReference[touch.Objects[0]];
                seen = touch.At.AddSeconds(random.Next(1, 60));
            }
            else
            {
                obj = objects[random.Next(objectCount)];
                seen = Time();
            }

            drifts.Add((obj, new DriftDelta(obj.Id, "f", obj.Fields["f"], 2, false, Comparator.Exact, EnvelopeVerdict.None, seen, seen.AddMinutes(-1), "2")));
        }

        var now = s_day.AddDays(1);
        Console.WriteLine($"drift-attribution: {driftCount:N0} drifts in a day against {events.Count:N0} source records ({runs:N0} Terraform runs, {changes:N0} change records, {touches.Count:N0} object records), {objectCount:N0} objects, one core");

        // Indexed: build the index and attribute every drift (the index build is charged to the indexed side).
        Indexed(events, identities, drifts, now); // warm-up
        var indexedWatch = Stopwatch.StartNew();
        var indexed = Indexed(events, identities, drifts, now);
        indexedWatch.Stop();
        var buildWatch = Stopwatch.StartNew();
        GC.KeepAlive(SourceIndex.Build(events));
        buildWatch.Stop();

        var naiveWatch = Stopwatch.StartNew();
        var naive = drifts.Select(d => NaiveAttribute(events, identities, d.Obj, d.Drift, now)).ToList();
        naiveWatch.Stop();

        var agree = indexed.Zip(naive).Count(p => p.First.Status == p.Second.Status && p.First.CauseId == p.Second.CauseId);
        var attributed = indexed.Count(a => a.Status == AttributionStatus.Attributed);
        Console.WriteLine($"  attributed {attributed:N0}, unknown {indexed.Count(a => a.Status == AttributionStatus.Unknown):N0}; naive and indexed agree on {agree:N0}/{driftCount:N0}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  indexed (build + attribute): {indexedWatch.Elapsed.TotalMilliseconds:F1} ms (index build alone {buildWatch.Elapsed.TotalMilliseconds:F1} ms); naive nested loop: {naiveWatch.Elapsed.TotalMilliseconds:F0} ms; ratio {naiveWatch.Elapsed / indexedWatch.Elapsed:F0}×"));
        return Task.CompletedTask;
    }

    private static List<Attribution> Indexed(List<SourceEvent> events, AutomationIdentityRegistry identities, List<(GraphObject Obj, DriftDelta Drift)> drifts, DateTimeOffset now)
    {
        var attributor = new DriftAttributor(SourceIndex.Build(events), identities, SettlePolicy.Standard);
        return [.. drifts.Select(d => attributor.Attribute(d.Obj, d.Drift, now))];
    }

    /// <summary>The same rules as <see cref="DriftAttributor"/> (for these records' shapes), each join a scan of every record.</summary>
    private static Attribution NaiveAttribute(List<SourceEvent> events, AutomationIdentityRegistry identities, GraphObject obj, DriftDelta drift, DateTimeOffset now)
    {
        var from = (drift.ChangedAfter ?? drift.FirstSeen - DriftAttributor.FirstSweepLookback) - DriftAttributor.Skew;
        var to = drift.FirstSeen + DriftAttributor.Skew;
        var refs = obj.References.ToHashSet(StringComparer.OrdinalIgnoreCase);
        SourceEvent? best = null;
        var bestScore = -1;
        foreach (var e in events)
        {
            if (e.Kind is SourceKind.TerraformRun or SourceKind.ChangeRecord || !e.Succeeded || e.At < from || e.At > to || !e.Objects.Any(refs.Contains))
            {
                continue;
            }

            var score = (e.Fields.Contains(drift.Field) ? 2 : e.Fields.IsDefaultOrEmpty ? 1 : 0) * 4 + (e.Actor is null ? 0 : 1);
            if (score > bestScore || (score == bestScore && e.At >= best!.At))
            {
                (best, bestScore) = (e, score);
            }
        }

        if (best is not null && bestScore >= 4)
        {
            var actorEvent = best;
            foreach (var e in events)
            {
                if (best.CorrelationId is not null && e.CorrelationId == best.CorrelationId && actorEvent.Actor is null && e.Actor is not null)
                {
                    actorEvent = e;
                }
            }

            var automation = identities.Find(actorEvent.Actor);
            if (automation?.Kind == AutomationKind.Terraform)
            {
                if (LatestRun(events, obj.Workspace!, best.At, best.At) is { } run)
                {
                    return new Attribution(AttributionStatus.Attributed) { Cause = CauseKind.TerraformRun, CauseId = run.EventId };
                }
            }
            else if (automation?.Kind == AutomationKind.Vendor)
            {
                return new Attribution(AttributionStatus.Attributed) { Cause = CauseKind.Vendor, CauseId = $"{automation.Name}:{actorEvent.Detail(SourceDetail.Operation) ?? actorEvent.EventId}" };
            }
            else if (actorEvent.Actor is not null)
            {
                return new Attribution(AttributionStatus.Attributed) { Cause = CauseKind.Person, CauseId = actorEvent.CorrelationId ?? actorEvent.EventId };
            }

            (from, to) = (best.At, best.At);
        }

        if (LatestRun(events, obj.Workspace!, from, to) is { } windowRun)
        {
            return new Attribution(AttributionStatus.Attributed) { Cause = CauseKind.TerraformRun, CauseId = windowRun.EventId };
        }

        SourceEvent? change = null;
        foreach (var e in events)
        {
            if (e.Kind == SourceKind.ChangeRecord && e.Objects.Any(refs.Contains) && e.WindowStart!.Value - DriftAttributor.ChangeWindowMargin <= to && e.WindowEnd!.Value + DriftAttributor.ChangeWindowMargin >= from && (change is null || e.At > change.At))
            {
                change = e;
            }
        }

        if (change is not null)
        {
            return new Attribution(AttributionStatus.Attributed) { Cause = CauseKind.ChangeRecord, CauseId = change.EventId };
        }

        return now >= drift.FirstSeen + SettlePolicy.Standard.Default ? Attribution.UnknownSource([]) : Attribution.PendingUntil(drift.FirstSeen + SettlePolicy.Standard.Default, []);
    }

    private static SourceEvent? LatestRun(List<SourceEvent> events, string workspace, DateTimeOffset from, DateTimeOffset to)
    {
        SourceEvent? latest = null;
        foreach (var e in events)
        {
            if (e.Kind == SourceKind.TerraformRun && e.Succeeded && e.Workspace == workspace
                && e.WindowStart!.Value - DriftAttributor.RunLeadIn <= to && e.WindowEnd!.Value + DriftAttributor.RunTail >= from
                && (latest is null || e.At > latest.At))
            {
                latest = e;
            }
        }

        return latest;
    }
}
