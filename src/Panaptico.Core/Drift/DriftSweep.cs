using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Panaptico.Core.Ledger;

namespace Panaptico.Core.Drift;

/// <summary>Everything one sweep decides from: intent, what was read, what earlier sweeps left, the sources and the policy.</summary>
public sealed record SweepInput(
    ImplementationGraph Graph,
    LiveState Live,
    DriftMemory Memory,
    SourceIndex Sources,
    AutomationIdentityRegistry Identities,
    RoutingPolicy Policy,
    DateTimeOffset At)
{
    public SettlePolicy Settle { get; init; } = SettlePolicy.Standard;

    /// <summary>The sweep's id; by default from its time (one sweep per minute).</summary>
    public string? SweepId { get; init; }
}

/// <summary>
/// What a sweep decided, as data: its record (the counters), the feed rows (drifts of one cause collapsed), the
/// actions to carry out, the drifts still pending attribution, the memory for the next sweep, and the ledger entry.
/// </summary>
public sealed record SweepOutcome(
    SweepRecord Record,
    ImmutableArray<DriftFeedRow> Rows,
    ImmutableArray<ClassifiedDrift> Classified,
    ImmutableArray<(DriftDelta Drift, Attribution Attribution)> Pending,
    DriftMemory Memory,
    LedgerEntry Entry)
{
    public ImmutableArray<DriftAction> Actions => [.. Rows.SelectMany(r => r.Actions)];
}

/// <summary>
/// One sweep: reconcile, attribute, classify, collapse by cause, route. Pure: it returns the actions to take and the
/// next memory; the app stores, acts and appends. Running it again on the same inputs returns the same outcome.
/// </summary>
public static class DriftSweep
{
    public const string SweptKind = "drift.swept";

    public static SweepOutcome Run(SweepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var sweepId = input.SweepId ?? $"SWEEP-{input.At.UtcDateTime:yyyyMMdd-HHmmss}";
        var reconciliation = DriftReconciler.Reconcile(input.Graph, input.Live, input.Memory, input.At);
        var attributor = new DriftAttributor(input.Sources, input.Identities, input.Settle);

        var classified = ImmutableArray.CreateBuilder<ClassifiedDrift>();
        var pending = ImmutableArray.CreateBuilder<(DriftDelta, Attribution)>();
        var remembered = new List<RememberedDrift>(reconciliation.Carried);
        int attributed = 0, unknown = 0, stillPending = 0;
        foreach (var delta in reconciliation.Deltas)
        {
            var obj = input.Graph.Objects[delta.ObjectId];
            var attribution = attributor.Attribute(obj, delta, input.At);
            switch (attribution.Status)
            {
                case AttributionStatus.Attributed: attributed++; break;
                case AttributionStatus.Unknown: unknown++; break;
                default: stillPending++; break;
            }

            // A pending drift waits for late sources, unless it breaks an intent contract: that is critical at once.
            if (attribution.Status == AttributionStatus.Pending && !delta.ContractBroken)
            {
                pending.Add((delta, attribution));
                remembered.Add(Remember(delta, RememberedStatus.Pending, attribution.SettleAt));
                continue;
            }

            var rule = input.Policy.Route(obj, delta, attribution);
            classified.Add(new ClassifiedDrift(delta, attribution, rule.Class, rule.Id, rule.Actions));
            remembered.Add(Remember(delta, RememberedStatus.Reported, null));
        }

        var rows = Rows(input, sweepId, classified);
        var record = new SweepRecord(sweepId, input.At, input.Graph.Version, input.Policy.Name)
        {
            ObjectsRead = reconciliation.ObjectsRead,
            ObjectsUnread = reconciliation.ObjectsUnread,
            FieldsChecked = reconciliation.FieldsChecked,
            Drifted = reconciliation.Deltas.Length,
            Attributed = attributed,
            UnknownSource = unknown,
            Pending = stillPending,
            AlreadyReported = reconciliation.AlreadyReported,
            Ignored = reconciliation.Ignored,
            PerClass = Enum.GetValues<DriftClass>().ToImmutableDictionary(c => c, c => classified.Count(d => d.Class == c)),
            RowsPerClass = Enum.GetValues<DriftClass>().ToImmutableDictionary(c => c, c => rows.Count(r => r.Class == c)),
        };
        var data = record.ToJson();
        data["rows"] = DriftJson.Strings(rows.Select(r => r.RowId));
        var entry = new LedgerEntry(ImplementationGraph.LedgerStream, SweptKind, sweepId, "system:drift", data) { EntryId = $"drift/sweep/{sweepId}" };
        return new SweepOutcome(record, rows, classified.ToImmutable(), pending.ToImmutable(), new DriftMemory(input.At, remembered), entry);
    }

    private static RememberedDrift Remember(DriftDelta d, RememberedStatus status, DateTimeOffset? settleAt) =>
        new(d.ObjectId, d.Field, d.ValueKey, d.FirstSeen, d.ChangedAfter, status, settleAt);

    /// <summary>Drifts of one cause and class collapse into one row; without a cause, one row per object.</summary>
    private static ImmutableArray<DriftFeedRow> Rows(SweepInput input, string sweepId, IEnumerable<ClassifiedDrift> classified)
    {
        var rows = ImmutableArray.CreateBuilder<DriftFeedRow>();
        var groups = classified
            .GroupBy(d => (d.Class, Key: d.Attribution.GroupKey ?? $"object:{d.Delta.ObjectId}"))
            .OrderByDescending(g => g.Key.Class)
            .ThenBy(g => g.Key.Key, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var drifts = group.OrderBy(d => d.Delta.ObjectId, StringComparer.Ordinal).ThenBy(d => d.Delta.Field, StringComparer.Ordinal).ToList();
            var rowId = RowId(sweepId, group.Key.Class, group.Key.Key);
            var first = drifts[0];
            var row = new DriftFeedRow(rowId, group.Key.Class, first.RuleId, first.Attribution, [.. drifts.Select(d => d.Delta)]);
            rows.Add(row with { Actions = Actions(input, row, drifts) });
        }

        return rows.ToImmutable();
    }

    private static ImmutableArray<DriftAction> Actions(SweepInput input, DriftFeedRow row, List<ClassifiedDrift> drifts)
    {
        var actions = ImmutableArray.CreateBuilder<DriftAction>();
        var objects = row.ObjectIds.Select(id => input.Graph.Objects[id]).ToList();
        var rule = input.Policy.Rules.First(r => r.Id == row.RuleId);
        foreach (var kind in drifts.SelectMany(d => d.Actions).Distinct().Order())
        {
            switch (kind)
            {
                case DriftActionKind.Rebaseline:
                    var reason = new ReasonOfRecord(ReasonKind.Rebaseline, row.RowId, row.Attribution.Render());
                    var change = new IntentChange(reason)
                    {
                        Fields = [.. row.Drifts.Select(d => new FieldIntent(d.ObjectId, d.Field, d.Intended with { Value = d.LiveAbsent ? null : d.Live?.DeepClone(), Reason = reason }))],
                    };
                    actions.Add(new DriftAction(kind, row.RowId, "graph", Keys(row.Drifts)) { Rebaseline = change, Summary = $"re-baseline {row.Drifts.Length} field(s) to live: {row.Attribution.Render()}" });
                    break;
                case DriftActionKind.GovernedTask:
                    foreach (var team in objects.GroupBy(o => o.Owner.Team, StringComparer.Ordinal))
                    {
                        var within = rule.ChangeRecordWithin ?? input.Policy.ChangeRecordWithin;
                        actions.Add(new DriftAction(kind, row.RowId, team.Key, Keys(row.Drifts.Where(d => team.Any(o => o.Id == d.ObjectId))))
                        {
                            Due = input.At + within,
                            Summary = $"task for {team.Key}: {row.Title}; change record required by {DriftJson.Time(input.At + within)}",
                        });
                    }

                    break;
                case DriftActionKind.RouteApproval:
                    foreach (var decision in row.Drifts.Where(d => d.Intended.Reason.Kind == ReasonKind.DecisionRecord).GroupBy(d => (Approver: input.Graph.Objects[d.ObjectId].Owner.ApproverOfRecord, d.Intended.Reason.Id)))
                    {
                        actions.Add(new DriftAction(kind, row.RowId, decision.Key.Approver, Keys(decision))
                        {
                            DecisionRecord = decision.Key.Id,
                            Summary = $"re-approval by {decision.Key.Approver}, decision record {decision.Key.Id} attached: {row.Title}",
                        });
                    }

                    break;
                case DriftActionKind.Freeze:
                    foreach (var obj in objects)
                    {
                        actions.Add(new DriftAction(kind, row.RowId, obj.Id, Keys(row.Drifts.Where(d => d.ObjectId == obj.Id))) { Summary = $"freeze {obj.Id} ({obj.Connector})" });
                    }

                    break;
                case DriftActionKind.PageOnCall:
                    foreach (var onCall in objects.GroupBy(o => o.Owner.OnCall, StringComparer.Ordinal))
                    {
                        actions.Add(new DriftAction(kind, row.RowId, onCall.Key, Keys(row.Drifts.Where(d => onCall.Any(o => o.Id == d.ObjectId)))) { Summary = $"page {onCall.Key}: {row.Title}" });
                    }

                    break;
                case DriftActionKind.ForensicBundle:
                    actions.Add(new DriftAction(kind, row.RowId, "evidence", Keys(row.Drifts)) { Evidence = Forensics(input, row, drifts), Summary = $"forensic bundle for {row.RowId}" });
                    break;
                default:
                    throw new InvalidOperationException($"no action builder for {kind}");
            }
        }

        return actions.ToImmutable();
    }

    /// <summary>The manifest a forensic bundle seals: the drift, the live and intended values, every source record looked at.</summary>
    private static JsonObject Forensics(SweepInput input, DriftFeedRow row, List<ClassifiedDrift> drifts) => new()
    {
        ["row"] = row.RowId,
        ["class"] = DriftNames.Of(row.Class),
        ["rule"] = row.RuleId,
        ["policy"] = input.Policy.Name,
        ["graphVersion"] = input.Graph.Version,
        ["at"] = DriftJson.Time(input.At),
        ["attribution"] = row.Attribution.Render(),
        ["drifts"] = new JsonArray([.. row.Drifts.Select(d => (JsonNode?)DriftJson.Delta(d))]),
        ["objects"] = new JsonArray([.. row.ObjectIds.Select(id => (JsonNode?)DriftJson.Object(input.Graph.Objects[id]))]),
        ["sourcesLookedAt"] = new JsonArray([.. drifts.SelectMany(d => d.Attribution.LookedAt).Distinct().Select(e => (JsonNode?)DriftJson.Source(e))]),
    };

    private static ImmutableArray<FieldKey> Keys(IEnumerable<DriftDelta> drifts) => [.. drifts.Select(d => d.Key)];

    private static string RowId(string sweepId, DriftClass cls, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{sweepId}\n{DriftNames.Of(cls)}\n{key}"));
        return $"DRIFT-{Convert.ToHexStringLower(hash)[..12]}";
    }
}
