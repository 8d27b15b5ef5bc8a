using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Drift;
using Panaptico.Core.Evidence;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Functions.Governance;
using Panaptico.Functions.Platform;
using Panaptico.Storage.Drift;
using Panaptico.Storage.Evidence;

namespace Panaptico.Functions.Drift;

/// <summary>
/// The sweep's activities. Each runs at least once and is idempotent by a key from the sweep and step: the reconcile
/// step commits its memory once per sweep id and keeps its outcome, so a re-run carries out the same actions; each
/// action writes with the action's key (ledger entry ids, notification ids, task ids, graph change ids, seal requests).
/// </summary>
public sealed class DriftActivities(
    DriftGraph graphs,
    IEnumerable<IDriftConnector> connectors,
    DriftStateStore state,
    SourceEventStore sources,
    SweepStore sweeps,
    RoutingPolicySource policy,
    AutomationIdentityRegistry identities,
    DriftEventPublisher publisher,
    DriftSettings settings,
    ILedgerAppender ledger,
    INotifier notifier,
    GovernedExecution governance,
    EvidenceVault vault,
    EvidenceSealer sealer,
    ILogger<DriftActivities> logger)
{
    public const string PlanId = "DRIFT";
    public const string WaveId = "drift-follow-up";
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private readonly Dictionary<string, IDriftConnector> _connectors = connectors.ToDictionary(c => c.Kind, StringComparer.Ordinal);

    private Principal Actor => new(settings.ActorId, "Drift reconciliation", new HashSet<string>([Role.Operator]));

    [Function(nameof(DriftListBatches))]
    public async Task<LiveBatch[]> DriftListBatches([ActivityTrigger] DriftSweepStart start)
    {
        var graph = await graphs.ReadAsync(CancellationToken.None);
        return [.. graph.Objects.Values.GroupBy(o => o.Connector, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .SelectMany(g => g.Select(o => o.Id).Order(StringComparer.Ordinal).Chunk(settings.ReadBatchSize).Select(ids => new LiveBatch(start.SweepId, g.Key, ids)))];
    }

    /// <summary>Reads one batch through its connector; an object that cannot be read is left out (the sweep counts it unread).</summary>
    [Function(nameof(DriftReadLive))]
    public async Task<string> DriftReadLive([ActivityTrigger] LiveBatch batch)
    {
        var graph = await graphs.ReadAsync(CancellationToken.None);
        var read = new JsonArray();
        if (_connectors.TryGetValue(batch.Connector, out var connector))
        {
            foreach (var id in batch.ObjectIds)
            {
                if (graph.Find(id) is not { } obj)
                {
                    continue;
                }
                try
                {
                    var live = await connector.ReadAsync(obj, CancellationToken.None);
                    read.Add(new JsonObject
                    {
                        ["id"] = live.ObjectId,
                        ["readAt"] = live.ReadAt,
                        ["fields"] = new JsonObject(live.Fields.Select(f => KeyValuePair.Create(f.Key, f.Value?.DeepClone()))),
                    });
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning("Drift read of {Object} through {Connector} failed: {Error}", id, batch.Connector, e.Message);
                }
            }
        }
        else
        {
            logger.LogWarning("No connector {Connector}: {Count} objects unread", batch.Connector, batch.ObjectIds.Length);
        }
        return read.ToJsonString();
    }

    /// <summary>
    /// Reconciles, attributes (pending drifts again, against what arrived since), classifies and routes: commits the next
    /// drift memory unless another sweep committed first (then decides again on its memory, so no drift is reported
    /// twice), keeps the outcome, then records, publishes and returns the actions. A re-run returns the kept outcome.
    /// </summary>
    [Function(nameof(DriftReconcile))]
    public async Task<DriftActionItem[]> DriftReconcile([ActivityTrigger] ReconcileInput input)
    {
        JsonObject? outcome = null;
        for (var attempt = 1; outcome is null; attempt++)
        {
            var memory = await state.ReadMemoryAsync(CancellationToken.None);
            if (Applied(memory.Json).Contains(input.SweepId))
            {
                outcome = await state.ReadOutcomeAsync(input.SweepId, CancellationToken.None)
                    ?? throw new InvalidOperationException($"sweep {input.SweepId} committed its memory but its outcome is missing");
                break;
            }
            var decided = await DecideAsync(input, memory.Json);
            await state.SaveOutcomeAsync(input.SweepId, decided.Outcome, CancellationToken.None);
            if (await state.TryCommitMemoryAsync(decided.Memory, memory, CancellationToken.None))
            {
                outcome = decided.Outcome;
            }
            else if (attempt >= 10)
            {
                throw new InvalidOperationException($"sweep {input.SweepId}: the drift memory kept changing");
            }
        }

        await RecordAsync(outcome);
        return outcome["actions"].Deserialize<DriftActionItem[]>(s_json)!;
    }

    private async Task<(JsonObject Outcome, JsonObject Memory)> DecideAsync(ReconcileInput input, JsonObject memoryJson)
    {
        var graph = await graphs.ReadAsync(CancellationToken.None);
        var live = LiveState.Of(input.Reads.SelectMany(r => JsonNode.Parse(r)!.AsArray()).Select(o => new LiveObject(
            o!["id"]!.GetValue<string>(),
            o["fields"]!.AsObject().ToDictionary(f => f.Key, f => f.Value?.DeepClone()),
            o["readAt"]!.GetValue<DateTimeOffset>())), input.At);
        var memory = ReadMemory(memoryJson);
        var since = (memory.LastSweepAt ?? input.At) - DriftAttributor.FirstSweepLookback - settings.LongestSettleWindow;
        var records = await sources.BetweenAsync(since, input.At + DriftAttributor.Skew + TimeSpan.FromHours(1), CancellationToken.None);
        var index = SourceIndex.Build(records.SelectMany(r => Parse(r)).DistinctBy(e => (e.Kind, e.EventId)));
        var result = DriftSweep.Run(new SweepInput(graph, live, memory, index, identities, policy.Policy, input.At)
        {
            SweepId = input.SweepId,
            Settle = settings.Settle,
        });

        var applied = Applied(memoryJson).Append(input.SweepId).TakeLast(100);
        var nextMemory = new JsonObject
        {
            ["lastSweepAt"] = result.Memory.LastSweepAt,
            ["entries"] = JsonSerializer.SerializeToNode(result.Memory.Entries, s_json),
            ["applied"] = new JsonArray([.. applied.Select(a => (JsonNode)a)]),
        };
        var rows = result.Rows.Select(Row).ToList();
        var events = new JsonArray();
        foreach (var d in result.Classified)
        {
            events.Add(DriftEvent(input.SweepId, d.Delta, d.Attribution, DriftNames.Of(d.Class)));
        }
        foreach (var (delta, attribution) in result.Pending)
        {
            events.Add(DriftEvent(input.SweepId, delta, attribution, null));
        }
        foreach (var row in rows)
        {
            events.Add(new JsonObject { ["type"] = DriftEventPublisher.ClassifiedType, ["id"] = row["rowId"]!.GetValue<string>(), ["subject"] = row["rowId"]!.GetValue<string>(), ["data"] = row.DeepClone() });
        }
        var entry = result.Entry;
        var outcome = new JsonObject
        {
            ["sweepId"] = input.SweepId,
            ["at"] = input.At,
            ["record"] = result.Record.ToJson(),
            ["rows"] = new JsonArray([.. rows]),
            ["events"] = events,
            ["ledger"] = new JsonObject { ["kind"] = entry.Kind, ["subject"] = entry.Subject, ["actor"] = entry.Actor, ["entryId"] = entry.EntryId, ["data"] = entry.Data?.DeepClone() },
            ["actions"] = JsonSerializer.SerializeToNode(result.Rows.SelectMany(r => r.Actions.Select(a => Item(graph, r, a, input.At))).ToArray(), s_json),
        };
        return (outcome, nextMemory);
    }

    /// <summary>Writes what a committed sweep decided: the ledger entry, the sweep record, the feed rows, the events.</summary>
    private async Task RecordAsync(JsonObject outcome)
    {
        var sweepId = outcome["sweepId"]!.GetValue<string>();
        var at = outcome["at"]!.GetValue<DateTimeOffset>();
        var entry = outcome["ledger"]!;
        await ledger.AppendAsync(new LedgerEntry(ImplementationGraph.LedgerStream, entry["kind"]!.GetValue<string>(), entry["subject"]!.GetValue<string>(),
            entry["actor"]!.GetValue<string>(), entry["data"]?.DeepClone() as JsonObject)
        { EntryId = entry["entryId"]!.GetValue<string>() }, CancellationToken.None);
        await sweeps.SaveSweepAsync(new StoredSweep(sweepId, at, (JsonObject)outcome["record"]!.DeepClone()), CancellationToken.None);
        foreach (var row in outcome["rows"]!.AsArray().OfType<JsonObject>())
        {
            await SaveFeedRowAsync(row, at);
        }
        var events = outcome["events"]!.AsArray().OfType<JsonObject>().Select(e => DriftEventPublisher.Event(
            e["type"]!.GetValue<string>(), e["id"]!.GetValue<string>(), e["subject"]!.GetValue<string>(), e["data"]!.DeepClone())).ToList();
        if (events.Count > 0)
        {
            await publisher.PublishAsync(events, CancellationToken.None);
        }
    }

    /// <summary>One cause, one row: a later sweep's drifts of the same cause join the row already in the feed.</summary>
    private async Task SaveFeedRowAsync(JsonObject row, DateTimeOffset at)
    {
        var causeKey = row["causeKey"]!.GetValue<string>();
        var merged = (JsonObject)row.DeepClone();
        if (await sweeps.GetFeedRowAsync(causeKey, CancellationToken.None) is { } existing && existing.Row["rowId"]?.GetValue<string>() != row["rowId"]?.GetValue<string>())
        {
            var drifts = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
            foreach (var d in existing.Row["drifts"]!.AsArray().Concat(row["drifts"]!.AsArray()).OfType<JsonObject>())
            {
                drifts[$"{d["object"]}#{d["field"]}"] = d.DeepClone();
            }
            merged["drifts"] = new JsonArray([.. drifts.Values]);
            merged["rowIds"] = new JsonArray([.. (existing.Row["rowIds"]?.AsArray().Select(r => r!.GetValue<string>()) ?? [existing.Row["rowId"]!.GetValue<string>()])
                .Append(row["rowId"]!.GetValue<string>()).Distinct().Select(r => (JsonNode)r)]);
        }
        await sweeps.SaveFeedRowAsync(new StoredFeedRow(causeKey, row["class"]!.GetValue<string>(), at, merged), CancellationToken.None);
    }

    [Function(nameof(DriftRebaseline))]
    public async Task<string> DriftRebaseline([ActivityTrigger] DriftActionItem action)
    {
        var objects = GraphDocument.ParseJson(action.Rebaseline!);
        var change = new IntentChange(new ReasonOfRecord(ReasonKind.Rebaseline, action.RowId, action.Title))
        {
            Fields = [.. objects.SelectMany(o => o.Fields.Select(f => new FieldIntent(o.Id, f.Key, f.Value)))],
        };
        var graph = await graphs.ApplyAsync(action.Key, change, settings.ActorId, expectedVersion: null, CancellationToken.None);
        return $"re-baselined {change.Fields.Length} field(s) at graph version {graph.Version}";
    }

    /// <summary>A governed task for the owner, and the durable timer that escalates when no change record arrives by the due time.</summary>
    [Function(nameof(DriftOpenTask))]
    public async Task<string> DriftOpenTask([ActivityTrigger] DriftActionItem action, [DurableClient] DurableTaskClient client)
    {
        var taskId = TaskId("DRIFT-TASK", action.Key);
        await CreateTaskAsync(taskId, action.Summary, action.Target);
        var due = settings.ChangeRecordWithin is { } within ? action.At + within : action.Due ?? action.At + policy.Policy.ChangeRecordWithin;
        var hold = new ChangeRecordHold(taskId, action.RowId, action.Target, [.. action.Fields.Select(f => f.Split('#')[0]).Distinct(StringComparer.Ordinal)], action.At, due);
        await client.ScheduleOnceAsync(nameof(DriftSweepFunctions.DriftChangeRecordHold), "drift-hold-" + taskId, () => hold, _ => true, CancellationToken.None);
        await ledger.AppendAsync(new LedgerEntry(ImplementationGraph.LedgerStream, "drift.task-opened", taskId, settings.ActorId, new JsonObject
        {
            ["row"] = action.RowId,
            ["owner"] = action.Target,
            ["changeRecordDue"] = hold.Due,
            ["fields"] = new JsonArray([.. action.Fields.Select(f => (JsonNode)f)]),
        })
        { EntryId = $"drift/{action.Key}" }, CancellationToken.None);
        return taskId;
    }

    /// <summary>An approval for the original approver of the decision record, the decision attached.</summary>
    [Function(nameof(DriftRouteApproval))]
    public async Task<string> DriftRouteApproval([ActivityTrigger] DriftActionItem action)
    {
        var taskId = TaskId("DRIFT-APPROVAL", action.Key);
        await CreateTaskAsync(taskId, $"Re-approve decision record {action.DecisionRecord}: {action.Title}", action.Target);
        var data = new JsonObject { ["task"] = taskId, ["row"] = action.RowId, ["decisionRecord"] = action.DecisionRecord, ["fields"] = new JsonArray([.. action.Fields.Select(f => (JsonNode)f)]) };
        await notifier.NotifyAsync(new Notification("drift.reapproval", action.Target, $"Re-approve {action.DecisionRecord}", action.Summary, data)
        { NotificationId = $"drift/{action.Key}" }, CancellationToken.None);
        await ledger.AppendAsync(new LedgerEntry(ImplementationGraph.LedgerStream, "drift.approval-routed", taskId, settings.ActorId, data) { EntryId = $"drift/{action.Key}" }, CancellationToken.None);
        return taskId;
    }

    /// <summary>Freezes the object where its connector can; says so in the ledger either way.</summary>
    [Function(nameof(DriftFreeze))]
    public async Task<string> DriftFreeze([ActivityTrigger] DriftActionItem action)
    {
        var graph = await graphs.ReadAsync(CancellationToken.None);
        var connector = graph.Find(action.Target) is { } obj ? _connectors.GetValueOrDefault(obj.Connector) : null;
        var outcome = connector is IFreezableConnector freezable && graph.Find(action.Target) is { } target
            ? await freezable.FreezeAsync(target, $"critical drift {action.RowId}", CancellationToken.None)
            : new FreezeOutcome(false, $"the {connector?.Kind ?? "missing"} connector cannot freeze");
        var frozen = outcome.Frozen;
        await ledger.AppendAsync(new LedgerEntry(ImplementationGraph.LedgerStream, frozen ? "drift.frozen" : "drift.freeze-unsupported", action.Target, settings.ActorId, new JsonObject
        {
            ["row"] = action.RowId,
            ["connector"] = connector?.Kind,
            ["detail"] = outcome.Detail,
        })
        { EntryId = $"drift/{action.Key}" }, CancellationToken.None);
        return outcome.Detail;
    }

    [Function(nameof(DriftPageOnCall))]
    public async Task<string> DriftPageOnCall([ActivityTrigger] DriftActionItem action)
    {
        await notifier.NotifyAsync(new Notification("drift.page", action.Target, $"Critical drift: {action.Title}", action.Summary, new JsonObject
        {
            ["row"] = action.RowId,
            ["class"] = action.Class,
            ["fields"] = new JsonArray([.. action.Fields.Select(f => (JsonNode)f)]),
        })
        { NotificationId = $"drift/{action.Key}" }, CancellationToken.None);
        return $"paged {action.Target}";
    }

    /// <summary>Seals the drift, the live and intended values and every source record looked at, with the existing sealer.</summary>
    [Function(nameof(DriftSealForensics))]
    public async Task<string> DriftSealForensics([ActivityTrigger] DriftActionItem action)
    {
        var content = Encoding.UTF8.GetBytes(JsonNode.Parse(action.Evidence!)!.ToJsonString());
        var stored = await vault.PutAsync(new MemoryStream(content), new ArtifactCapture("forensics", $"{action.RowId}.json", "application/json", settings.ActorId), null, CancellationToken.None);
        var bundle = await sealer.SealAsync(new SealRequest(new BundleSubject(BundleSubject.Drift, action.RowId), [stored.ToManifestArtifact()], [], [], []), settings.ActorId, CancellationToken.None);
        return bundle.Digest;
    }

    [Function(nameof(DriftEscalateWithoutChangeRecord))]
    public async Task<string> DriftEscalateWithoutChangeRecord([ActivityTrigger] ChangeRecordHold hold)
    {
        var records = await sources.BetweenAsync(hold.OpenedAt - TimeSpan.FromHours(1), hold.Due.AddYears(1), CancellationToken.None);
        var change = records.Where(r => r.Kind == DriftNames.Of(SourceKind.ChangeRecord)).SelectMany(r => Parse(r))
            .FirstOrDefault(e => e.Objects.Any(o => hold.Objects.Contains(o, StringComparer.Ordinal)));
        if (change is not null)
        {
            return $"change record {change.EventId}";
        }
        var data = new JsonObject { ["task"] = hold.TaskId, ["row"] = hold.RowId, ["due"] = hold.Due, ["objects"] = new JsonArray([.. hold.Objects.Select(o => (JsonNode)o)]) };
        await notifier.NotifyAsync(new Notification("drift.escalated", hold.Owner, $"No change record for {hold.TaskId}",
            $"{hold.TaskId}: no change record arrived by {hold.Due:O}", data)
        { NotificationId = $"drift/escalate/{hold.TaskId}" }, CancellationToken.None);
        await ledger.AppendAsync(new LedgerEntry(ImplementationGraph.LedgerStream, "drift.task-escalated", hold.TaskId, settings.ActorId, data)
        { EntryId = $"drift/escalate/{hold.TaskId}" }, CancellationToken.None);
        return "escalated";
    }

    private async Task CreateTaskAsync(string taskId, string title, string owner)
    {
        var plan = await governance.CreatePlanAsync(PlanId, "Drift follow-up", [new Wave(WaveId, 1, "Drift follow-up")], Actor, CancellationToken.None);
        _ = plan; // Created by the first drift task; "already exists" afterwards.
        var created = await governance.CreateTaskAsync(new NewTask(taskId, PlanId, WaveId, Truncate(title, 200), owner), Actor, null, CancellationToken.None);
        if (!created.IsAccepted && created.Refusal.Code != Core.Governance.RefusalCode.Conflict)
        {
            throw new InvalidOperationException($"drift task {taskId} was refused: {created.Refusal.Message}");
        }
    }

    private static string TaskId(string prefix, string key) => $"{prefix}-{DriftTables.Key(key)[..10].ToUpperInvariant()}";

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static IEnumerable<string> Applied(JsonObject memory) =>
        memory["applied"]?.AsArray().Select(a => a!.GetValue<string>()) ?? [];

    private static Core.Drift.DriftMemory ReadMemory(JsonObject json) => json.Count == 0
        ? Core.Drift.DriftMemory.Empty
        : new Core.Drift.DriftMemory(json["lastSweepAt"] is { } last ? last.GetValue<DateTimeOffset>() : null, json["entries"].Deserialize<RememberedDrift[]>(s_json) ?? []);

    /// <summary>The stored records of a source, parsed as attribution reads them; a record that no longer parses is skipped.</summary>
    public static ImmutableArray<SourceEvent> Parse(StoredSourceEvent record) =>
        DriftNames.TryParse<SourceKind>(record.Kind, out var kind) ? SourceEvents.Parse(kind, record.Body.ToJsonString()) : [];

    private static JsonObject DriftEvent(string sweepId, DriftDelta delta, Attribution attribution, string? @class) => new()
    {
        ["type"] = DriftEventPublisher.DriftedType,
        ["id"] = DriftTables.Key($"{sweepId}/{delta.ObjectId}#{delta.Field}/{delta.ValueKey}"),
        ["subject"] = $"{delta.ObjectId}#{delta.Field}",
        ["data"] = new JsonObject
        {
            ["sweepId"] = sweepId,
            ["objectId"] = delta.ObjectId,
            ["field"] = delta.Field,
            ["drift"] = DriftJson.Delta(delta),
            ["attribution"] = Attribution(attribution),
            ["class"] = @class,
        },
    };

    public static JsonObject Attribution(Attribution a) => new()
    {
        ["status"] = DriftNames.Of(a.Status),
        ["text"] = a.Render(),
        ["cause"] = a.Cause is { } cause ? DriftNames.Of(cause) : null,
        ["causeId"] = a.CauseId,
        ["actor"] = a.Actor,
        ["linkedChange"] = a.LinkedChange,
        ["join"] = a.Join,
        ["settleAt"] = a.SettleAt,
        ["source"] = a.Source is { } s ? DriftJson.Source(s) : null,
    };

    private static JsonObject Row(DriftFeedRow row) => new()
    {
        ["rowId"] = row.RowId,
        ["causeKey"] = row.Attribution.GroupKey ?? $"{DriftNames.Of(row.Class)}:object:{row.ObjectIds[0]}",
        ["class"] = DriftNames.Of(row.Class),
        ["rule"] = row.RuleId,
        ["title"] = row.Title,
        ["attribution"] = Attribution(row.Attribution),
        ["objects"] = new JsonArray([.. row.ObjectIds.Select(o => (JsonNode)o)]),
        ["drifts"] = new JsonArray([.. row.Drifts.Select(d => (JsonNode)DriftJson.Delta(d))]),
        ["actions"] = new JsonArray([.. row.Actions.Select(a => (JsonNode)new JsonObject { ["kind"] = DriftNames.Of(a.Kind), ["target"] = a.Target, ["summary"] = a.Summary })]),
    };

    private static DriftActionItem Item(ImplementationGraph graph, DriftFeedRow row, DriftAction a, DateTimeOffset at)
    {
        string? rebaseline = null;
        if (a.Rebaseline is { } change)
        {
            var objects = change.Fields.GroupBy(f => f.ObjectId, StringComparer.Ordinal).Select(g =>
                (JsonNode)DriftJson.Object(graph.Objects[g.Key] with { Fields = g.ToDictionary(f => f.Field, f => f.Intended, StringComparer.Ordinal) }));
            rebaseline = new JsonObject { ["objects"] = new JsonArray([.. objects]) }.ToJsonString();
        }
        return new DriftActionItem(a.Key, DriftNames.Of(a.Kind), a.RowId, DriftNames.Of(row.Class), a.Target,
            [.. a.Fields.Select(f => f.ToString())], a.Summary, row.Title)
        {
            At = at,
            Due = a.Due,
            DecisionRecord = a.DecisionRecord,
            Rebaseline = rebaseline,
            Evidence = a.Evidence?.ToJsonString(),
        };
    }
}
