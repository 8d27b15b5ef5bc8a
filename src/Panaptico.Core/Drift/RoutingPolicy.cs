using System.Collections.Immutable;
using System.Text.Json.Nodes;
using System.Xml;

namespace Panaptico.Core.Drift;

/// <summary>
/// The conditions of a routing rule; every condition given must hold (an empty list means "any"). Values are
/// the kebab-case names used in the policy file.
/// </summary>
public sealed record RuleMatch
{
    /// <summary><c>contract: broken</c> — the field carries an intent contract (any drift of it breaks it).</summary>
    public bool? ContractBroken { get; init; }

    public ImmutableArray<AttributionStatus> Attribution { get; init; } = [];

    public ImmutableArray<CauseKind> Cause { get; init; } = [];

    /// <summary><c>linkedChange: true</c> — the cause links to a change record (a scheduled change).</summary>
    public bool? LinkedChange { get; init; }

    public ImmutableArray<EnvelopeVerdict> Envelope { get; init; } = [];

    /// <summary>The intended value's reason of record (decision-record: a signed decision).</summary>
    public ImmutableArray<ReasonKind> Reason { get; init; } = [];

    public ImmutableArray<string> Systems { get; init; } = [];

    public ImmutableArray<string> Kinds { get; init; } = [];

    public ImmutableArray<string> Connectors { get; init; } = [];

    public ImmutableArray<string> Fields { get; init; } = [];

    /// <summary>No conditions: the catch-all rule.</summary>
    public bool IsCatchAll =>
        ContractBroken is null && LinkedChange is null && Attribution.IsDefaultOrEmpty && Cause.IsDefaultOrEmpty && Envelope.IsDefaultOrEmpty
        && Reason.IsDefaultOrEmpty && Systems.IsDefaultOrEmpty && Kinds.IsDefaultOrEmpty && Connectors.IsDefaultOrEmpty && Fields.IsDefaultOrEmpty;

    public bool Holds(GraphObject obj, DriftDelta drift, Attribution attribution) =>
        (ContractBroken is null || ContractBroken == drift.ContractBroken)
        && (Attribution.IsEmpty || Attribution.Contains(attribution.Status))
        && (Cause.IsEmpty || (attribution.Cause is { } cause && Cause.Contains(cause)))
        && (LinkedChange is null || LinkedChange == (attribution.LinkedChange is not null))
        && (Envelope.IsEmpty || Envelope.Contains(drift.Envelope))
        && (Reason.IsEmpty || Reason.Contains(drift.Intended.Reason.Kind))
        && (Systems.IsEmpty || Systems.Contains(obj.SourceSystem, StringComparer.OrdinalIgnoreCase))
        && (Kinds.IsEmpty || Kinds.Contains(obj.Kind, StringComparer.OrdinalIgnoreCase))
        && (Connectors.IsEmpty || Connectors.Contains(obj.Connector, StringComparer.OrdinalIgnoreCase))
        && (Fields.IsEmpty || Fields.Contains(drift.Field, StringComparer.Ordinal));
}

/// <param name="Line">The rule's line in the policy file (0 when built in code).</param>
public sealed record RoutingRule(string Id, RuleMatch When, DriftClass Class, ImmutableArray<DriftActionKind> Actions, string Because, int Line)
{
    /// <summary>For a governed task: how long the owner has to file a change record (default: the policy's).</summary>
    public TimeSpan? ChangeRecordWithin { get; init; }
}

/// <summary>
/// The routing policy in force (<c>ROUTING-POLICY-v14</c>): a versioned, declarative file of ordered rules, each
/// mapping a drift to a class and its actions; the first rule that holds decides. Validated whole when loaded: an
/// unknown class, action or field fails the start with the line named.
/// </summary>
public sealed class RoutingPolicy
{
    private static readonly string[] s_top = ["id", "version", "reviewed", "changeRecordWithin", "rules"];
    private static readonly string[] s_rule = ["id", "when", "class", "actions", "because", "changeRecordWithin"];
    private static readonly string[] s_when = ["contract", "attribution", "cause", "linkedChange", "envelope", "reason", "system", "kind", "connector", "field"];

    private RoutingPolicy(string id, int version, ImmutableArray<RoutingRule> rules, TimeSpan changeRecordWithin, string? reviewed)
    {
        Id = id;
        Version = version;
        Rules = rules;
        ChangeRecordWithin = changeRecordWithin;
        Reviewed = reviewed;
    }

    /// <summary>The policy's name, e.g. ROUTING-POLICY.</summary>
    public string Id { get; }

    public int Version { get; }

    /// <summary>"ROUTING-POLICY-v14": what sweep records, feed rows and ledger entries cite.</summary>
    public string Name => $"{Id}-v{Version}";

    public string? Reviewed { get; }

    public ImmutableArray<RoutingRule> Rules { get; }

    /// <summary>How long a notable drift's owner has to file a change record (default 7 days).</summary>
    public TimeSpan ChangeRecordWithin { get; }

    /// <exception cref="DriftInputException">Code <see cref="DriftCodes.PolicyInvalid"/>; every problem names its line.</exception>
    public static RoutingPolicy Parse(string yaml)
    {
        var doc = DriftDocument.Yaml(yaml, DriftCodes.PolicyInvalid);
        var root = doc.Object(doc.Root, "$");
        doc.OnlyKnown(root, "$", s_top);
        var id = doc.String(root, "id", "$");
        var versionNumber = doc.Number(root, "version", "$");
        if (root is not null && !root.ContainsKey("version"))
        {
            doc.Problem("$.version", "is required: bump it on every change");
        }

        if (versionNumber is { } v && (v != decimal.Truncate(v) || v < 1))
        {
            doc.Problem("$.version", "must be a whole number ≥ 1");
        }

        var within = Duration(doc, root, "changeRecordWithin", "$") ?? TimeSpan.FromDays(7);
        var rules = ImmutableArray.CreateBuilder<RoutingRule>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (node, i) in (doc.Array(root?["rules"], "$.rules") ?? []).Select((n, i) => (n, i)))
        {
            var path = $"$.rules[{i}]";
            var rule = doc.Object(node, path);
            if (rule is null)
            {
                continue;
            }

            doc.OnlyKnown(rule, path, s_rule);
            var ruleId = doc.String(rule, "id", path);
            if (ruleId is not null && !ids.Add(ruleId))
            {
                doc.Problem($"{path}.id", $"rule id '{ruleId}' is used twice");
            }

            var classText = doc.String(rule, "class", path);
            var cls = DriftClass.Notable;
            if (classText is not null && !DriftNames.TryParse(classText, out cls))
            {
                doc.Problem($"{path}.class", $"unknown class '{classText}' (known: {DriftNames.Choices<DriftClass>()})");
            }

            var actions = Enums<DriftActionKind>(doc, rule, "actions", path, "action");
            if (actions.IsEmpty && rule.ContainsKey("actions") is false)
            {
                doc.Problem($"{path}.actions", "is required (at least one action)");
            }

            var when = doc.Object(rule["when"], $"{path}.when", required: false);
            doc.OnlyKnown(when, $"{path}.when", s_when);
            var contract = doc.String(when, "contract", $"{path}.when", required: false);
            if (contract is not null and not "broken" and not "kept")
            {
                doc.Problem($"{path}.when.contract", $"must be broken or kept, not '{contract}'");
            }

            var match = new RuleMatch
            {
                ContractBroken = contract is null ? null : contract == "broken",
                Attribution = Enums<AttributionStatus>(doc, when, "attribution", $"{path}.when", "attribution"),
                Cause = Enums<CauseKind>(doc, when, "cause", $"{path}.when", "cause"),
                LinkedChange = doc.Bool(when, "linkedChange", $"{path}.when"),
                Envelope = Enums<EnvelopeVerdict>(doc, when, "envelope", $"{path}.when", "envelope verdict"),
                Reason = Enums<ReasonKind>(doc, when, "reason", $"{path}.when", "reason kind"),
                Systems = [.. doc.Strings(when, "system", $"{path}.when")],
                Kinds = [.. doc.Strings(when, "kind", $"{path}.when")],
                Connectors = [.. doc.Strings(when, "connector", $"{path}.when")],
                Fields = [.. doc.Strings(when, "field", $"{path}.when")],
            };
            rules.Add(new RoutingRule(ruleId ?? $"rules[{i}]", match, cls, actions, doc.String(rule, "because", path) ?? "", LineOf(doc, path))
            {
                ChangeRecordWithin = Duration(doc, rule, "changeRecordWithin", path),
            });
        }

        if (rules.Count > 0 && !rules[^1].When.IsCatchAll)
        {
            doc.Problem("$.rules", "the last rule must have no conditions, so that every drift is routed");
        }

        doc.ThrowIfProblems(DriftCodes.PolicyInvalid);
        return new RoutingPolicy(id!, (int)versionNumber!.Value, rules.ToImmutable(), within, doc.String(root, "reviewed", "$", required: false));
    }

    /// <summary>The first rule that holds for the drift (the policy's last rule always holds).</summary>
    public RoutingRule Route(GraphObject obj, DriftDelta drift, Attribution attribution)
    {
        foreach (var rule in Rules)
        {
            if (rule.When.Holds(obj, drift, attribution))
            {
                return rule;
            }
        }

        throw new InvalidOperationException($"{Name} routed nothing for {drift.Key}: its last rule must match everything");
    }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["version"] = Version,
        ["name"] = Name,
        ["reviewed"] = Reviewed,
        ["changeRecordWithin"] = XmlConvert.ToString(ChangeRecordWithin),
        ["rules"] = new JsonArray([.. Rules.Select(r => (JsonNode?)new JsonObject
        {
            ["id"] = r.Id,
            ["class"] = DriftNames.Of(r.Class),
            ["actions"] = DriftJson.Strings(r.Actions.Select(a => DriftNames.Of(a))),
            ["because"] = r.Because,
        })]),
    };

    private static int LineOf(DriftDocument doc, string path)
    {
        var where = doc.Where(path);
        return where.StartsWith("line ", StringComparison.Ordinal) && int.TryParse(where[5..where.IndexOf(' ', 5)], out var line) ? line : 0;
    }

    private static TimeSpan? Duration(DriftDocument doc, System.Text.Json.Nodes.JsonObject? parent, string name, string path)
    {
        if (doc.String(parent, name, path, required: false) is not { } text)
        {
            return null;
        }

        try
        {
            var span = XmlConvert.ToTimeSpan(text);
            if (span > TimeSpan.Zero)
            {
                return span;
            }
        }
        catch (FormatException)
        {
        }

        doc.Problem($"{path}.{name}", $"'{text}' is not a positive ISO 8601 duration (e.g. P7D)");
        return null;
    }

    private static ImmutableArray<T> Enums<T>(DriftDocument doc, System.Text.Json.Nodes.JsonObject? parent, string name, string path, string what)
        where T : struct, Enum
    {
        var values = ImmutableArray.CreateBuilder<T>();
        foreach (var (text, i) in doc.Strings(parent, name, path).Select((t, i) => (t, i)))
        {
            if (DriftNames.TryParse<T>(text, out var value))
            {
                values.Add(value);
            }
            else
            {
                doc.Problem(parent?[name] is System.Text.Json.Nodes.JsonArray ? $"{path}.{name}[{i}]" : $"{path}.{name}", $"unknown {what} '{text}' (known: {DriftNames.Choices<T>()})");
            }
        }

        return values.ToImmutable();
    }
}
