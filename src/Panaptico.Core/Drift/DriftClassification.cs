using System.Collections.Immutable;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Drift;

/// <summary>The classes of the routing policy, and of the feed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DriftClass>))]
public enum DriftClass
{
    /// <summary>Matches the vendor feed or a scheduled change: re-baselined, no human.</summary>
    Expected,

    /// <summary>A bounded deviation inside the envelope: a governed task for the owner, a change record within 7 days.</summary>
    Notable,

    /// <summary>Touches a signed decision record: an approval routed to the original approver, with the decision attached.</summary>
    Reapproval,

    /// <summary>Breaks an intent contract, or no source after the settle window: freeze, page on-call, forensic bundle.</summary>
    Critical,
}

/// <summary>What a routing rule asks for. The domain returns these as data; the app carries them out.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DriftActionKind>))]
public enum DriftActionKind
{
    /// <summary>Write the live values into the graph as intent, with the cause as reason of record.</summary>
    Rebaseline,

    /// <summary>A governed task for the owner; a change record is required by <see cref="DriftAction.Due"/> (a durable timer escalates).</summary>
    GovernedTask,

    /// <summary>An approval for the original approver of the decision record, with the decision attached.</summary>
    RouteApproval,

    /// <summary>Freeze the object where its connector can.</summary>
    Freeze,

    /// <summary>Page the object's on-call through the notifier.</summary>
    PageOnCall,

    /// <summary>Seal a forensic bundle: the drift, live and intended values, every source record looked at.</summary>
    ForensicBundle,
}

/// <summary>One drift with its attribution, class and the rule that decided it.</summary>
public sealed record ClassifiedDrift(DriftDelta Delta, Attribution Attribution, DriftClass Class, string RuleId, ImmutableArray<DriftActionKind> Actions);

/// <summary>
/// One action a feed row asks for, as data. <see cref="Key"/> is its idempotency key (row + action + target), for the
/// activity that carries it out and the ledger entry it appends.
/// </summary>
/// <param name="Target">Who it goes to: the owner team (task), the approver of record (approval), the on-call (page), or the object (freeze).</param>
public sealed record DriftAction(DriftActionKind Kind, string RowId, string Target, ImmutableArray<FieldKey> Fields)
{
    /// <summary>For a governed task: when the change record is due (policy, default 7 days).</summary>
    public DateTimeOffset? Due { get; init; }

    /// <summary>For a re-approval: the decision record attached.</summary>
    public string? DecisionRecord { get; init; }

    /// <summary>For a re-baseline: the intent change to apply (live values, reason = the cause).</summary>
    public IntentChange? Rebaseline { get; init; }

    /// <summary>For a forensic bundle: its manifest (drift, live and intended values, every source record looked at).</summary>
    public JsonObject? Evidence { get; init; }

    public required string Summary { get; init; }

    public string Key => $"{RowId}/{DriftNames.Of(Kind)}/{Target}";
}

/// <summary>
/// One row of the drift feed: the drifts of one cause (or, without a cause, of one object) in one class, with the
/// actions routed for them. Every row links back to intent (the deltas' reasons) and attribution.
/// </summary>
public sealed record DriftFeedRow(string RowId, DriftClass Class, string RuleId, Attribution Attribution, ImmutableArray<DriftDelta> Drifts)
{
    public ImmutableArray<DriftAction> Actions { get; init; } = [];

    public ImmutableArray<string> ObjectIds => [.. Drifts.Select(d => d.ObjectId).Distinct(StringComparer.Ordinal)];

    /// <summary>"Terraform run run-… changed 40 objects (52 fields)", or "azure/sp/finance-etl-prod appRoleAssignmentRequired".</summary>
    public string Title
    {
        get
        {
            var objects = ObjectIds;
            var what = objects.Length == 1
                ? Drifts.Length == 1 ? $"{objects[0]} {Drifts[0].Field}" : $"{objects[0]} ({Drifts.Length} fields)"
                : $"{objects.Length} objects ({Drifts.Length} fields)";
            return $"{DriftNames.Of(Class)} · {what} · {Attribution.Render()}";
        }
    }
}

/// <summary>
/// A sweep's published record: the seed's counters (fields checked, drifted, attributed, unknown source) and per class.
/// Drifted counts the drifts this sweep reports (new values and pending ones re-attributed); drifts already reported
/// at the same value are <see cref="AlreadyReported"/>, not counted again.
/// </summary>
public sealed record SweepRecord(string SweepId, DateTimeOffset At, long GraphVersion, string PolicyVersion)
{
    public int ObjectsRead { get; init; }

    public int ObjectsUnread { get; init; }

    public int FieldsChecked { get; init; }

    public int Drifted { get; init; }

    public int Attributed { get; init; }

    public int UnknownSource { get; init; }

    public int Pending { get; init; }

    public int AlreadyReported { get; init; }

    /// <summary>Fields skipped by a standing ignore.</summary>
    public int Ignored { get; init; }

    /// <summary>Classified drifts (fields) per class; every class is present.</summary>
    public ImmutableDictionary<DriftClass, int> PerClass { get; init; } = ImmutableDictionary<DriftClass, int>.Empty;

    /// <summary>Feed rows per class (drifts with one cause collapsed).</summary>
    public ImmutableDictionary<DriftClass, int> RowsPerClass { get; init; } = ImmutableDictionary<DriftClass, int>.Empty;

    public int Class(DriftClass c) => PerClass.GetValueOrDefault(c);

    /// <summary>"Fields checked 92,418 · Drifted 217 · Attributed 203 · Unknown source 14".</summary>
    public string Render() =>
        $"Fields checked {FieldsChecked:N0} · Drifted {Drifted:N0} · Attributed {Attributed:N0} · Unknown source {UnknownSource:N0}"
        + (Pending > 0 ? $" · Pending {Pending:N0}" : "")
        + $" · {string.Join(" · ", Enum.GetValues<DriftClass>().Reverse().Select(c => $"{RowsPerClass.GetValueOrDefault(c)} {DriftNames.Of(c)}"))}";

    public JsonObject ToJson() => new()
    {
        ["sweepId"] = SweepId,
        ["at"] = DriftJson.Time(At),
        ["graphVersion"] = GraphVersion,
        ["policyVersion"] = PolicyVersion,
        ["objectsRead"] = ObjectsRead,
        ["objectsUnread"] = ObjectsUnread,
        ["fieldsChecked"] = FieldsChecked,
        ["drifted"] = Drifted,
        ["attributed"] = Attributed,
        ["unknownSource"] = UnknownSource,
        ["pending"] = Pending,
        ["alreadyReported"] = AlreadyReported,
        ["ignored"] = Ignored,
        ["perClass"] = new JsonObject(Enum.GetValues<DriftClass>().Select(c => KeyValuePair.Create(DriftNames.Of(c), (JsonNode?)PerClass.GetValueOrDefault(c)))),
        ["rowsPerClass"] = new JsonObject(Enum.GetValues<DriftClass>().Select(c => KeyValuePair.Create(DriftNames.Of(c), (JsonNode?)RowsPerClass.GetValueOrDefault(c)))),
    };
}
