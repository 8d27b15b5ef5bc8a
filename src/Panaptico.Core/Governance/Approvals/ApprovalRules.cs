using System.Collections.Immutable;
using System.Xml;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Panaptico.Core.Governance.Approvals;

/// <summary>
/// The declarative, versioned routing rules (a YAML file): who approves what and why. Every seat routed records the
/// rule id and this <see cref="Version"/>.
/// </summary>
public sealed record ApprovalRules(
    string Version,
    ImmutableArray<RouteRule> Rules,
    ImmutableDictionary<string, ApproverRef> Principals,
    ImmutableDictionary<string, ApproverRef> Groups,
    ImmutableDictionary<string, ImmutableDictionary<string, string>> Owners)
{
    private static readonly IDeserializer s_yaml = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .Build();

    /// <exception cref="ApprovalRulesException">The YAML is malformed or inconsistent; <see cref="ApprovalRulesException.Problems"/> lists every problem.</exception>
    public static ApprovalRules Parse(string yaml)
    {
        ApprovalRulesDocument? document;
        try
        {
            document = s_yaml.Deserialize<ApprovalRulesDocument>(yaml);
        }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message;
            throw new ApprovalRulesException([$"line {e.Start.Line}, column {e.Start.Column}: {(inner is null ? e.Message : $"{e.Message} {inner}")}"]);
        }

        return new RulesReader(document ?? new ApprovalRulesDocument()).Read();
    }

    /// <summary>The groups whose members the directory holds (<c>directoryGroup</c> in the rules): group id → Entra group id.</summary>
    public IEnumerable<(string GroupId, string DirectoryGroupId)> DirectoryGroups =>
        Groups.Values.Where(g => g.DirectoryGroupId is not null).Select(g => (g.Id, g.DirectoryGroupId!));

    /// <summary>These rules with a directory group's members as the directory answered them, and when.</summary>
    public ApprovalRules WithDirectoryMembers(string groupId, IEnumerable<string> members, DateTimeOffset resolvedAt) =>
        this with { Groups = Groups.SetItem(groupId, Groups[groupId] with { Members = [.. members], ResolvedAt = resolvedAt }) };

    /// <summary>Resolves a rule's target for a change in <paramref name="domain"/>; null with the problem when it cannot.</summary>
    internal ApproverRef? Resolve(ApproverTarget target, string domain, out string? problem)
    {
        problem = null;
        if (target.PrincipalId is { } principal)
        {
            return Principals[principal];
        }

        if (target.GroupId is { } group)
        {
            return Groups[group];
        }

        if (Owners.TryGetValue(domain, out var owners) && owners.TryGetValue(target.OwnerOf!, out var owner))
        {
            return Principals[owner];
        }

        problem = $"no owner of {target.OwnerOf} is declared for domain '{domain}' in rules {Version}";
        return null;
    }

    private sealed class RulesReader(ApprovalRulesDocument document)
    {
        private readonly List<string> _problems = [];

        public ApprovalRules Read()
        {
            if (string.IsNullOrWhiteSpace(document.Version))
            {
                _problems.Add("version is required");
            }

            var principals = (document.Principals ?? []).ToImmutableDictionary(
                p => p.Key,
                p => new ApproverRef(ApproverKind.Principal, p.Key, p.Value?.Name ?? p.Key, p.Value?.Title, [p.Key]));
            var groups = ImmutableDictionary.CreateBuilder<string, ApproverRef>();
            foreach (var (id, group) in document.Groups ?? [])
            {
                var members = group?.Members ?? [];
                if (members.Count == 0 && string.IsNullOrWhiteSpace(group?.DirectoryGroup))
                {
                    _problems.Add($"group '{id}' has no members (list them, or name its Entra group as directoryGroup)");
                }

                foreach (var member in members.Where(m => !principals.ContainsKey(m)))
                {
                    _problems.Add($"group '{id}': member '{member}' is not declared under principals");
                }

                groups[id] = new ApproverRef(ApproverKind.Group, id, group?.Name ?? id, null, [.. members])
                {
                    DirectoryGroupId = string.IsNullOrWhiteSpace(group?.DirectoryGroup) ? null : group!.DirectoryGroup,
                };
            }

            var owners = ImmutableDictionary.CreateBuilder<string, ImmutableDictionary<string, string>>();
            foreach (var (domain, map) in document.Owners ?? [])
            {
                foreach (var (responsibility, principal) in map ?? [])
                {
                    if (!principals.ContainsKey(principal))
                    {
                        _problems.Add($"owners.{domain}.{responsibility}: '{principal}' is not declared under principals");
                    }
                }

                owners[domain] = (map ?? []).ToImmutableDictionary();
            }

            var rules = ImmutableArray.CreateBuilder<RouteRule>();
            var ids = new HashSet<string>();
            foreach (var (rule, index) in (document.Rules ?? []).Select((r, i) => (r, i)))
            {
                var name = rule.Id ?? $"rules[{index}]";
                if (string.IsNullOrWhiteSpace(rule.Id) || !ids.Add(rule.Id))
                {
                    _problems.Add($"{name}: every rule needs a unique id");
                }

                if (string.IsNullOrWhiteSpace(rule.Because))
                {
                    _problems.Add($"{name}: 'because' is required, it is what the approver reads");
                }

                var kind = rule.Kind switch
                {
                    null or "signature" => SeatKind.Signature,
                    "ratification" => SeatKind.Ratification,
                    _ => Problem(SeatKind.Signature, $"{name}: kind must be signature or ratification, not '{rule.Kind}'"),
                };
                if (kind == SeatKind.Ratification && rule.OpensAfterSignatures < 1)
                {
                    _problems.Add($"{name}: a ratification seat needs opensAfterSignatures ≥ 1");
                }

                if (kind == SeatKind.Signature && rule.OpensAfterSignatures != 0)
                {
                    _problems.Add($"{name}: opensAfterSignatures applies to ratification seats only");
                }

                var to = Target(rule.To, $"{name}.to", principals, groups);
                var fallback = rule.Fallback is null ? null : Target(rule.Fallback, $"{name}.fallback", principals, groups);
                var when = rule.When ?? new ConditionDocument();
                rules.Add(new RouteRule(
                    rule.Id ?? name,
                    new RuleCondition
                    {
                        Domains = [.. when.Domains ?? []],
                        TagsAny = [.. when.TagsAny ?? []],
                        ChangeKindsAny = [.. when.ChangeKindsAny ?? []],
                        ControlsAny = [.. when.ControlsAny ?? []],
                        ProductionSystemsAbove = when.ProductionSystemsAbove,
                    },
                    to ?? new ApproverTarget(null, null, "?"),
                    kind,
                    rule.OpensAfterSignatures,
                    Duration(rule.ExpiresAfter, $"{name}.expiresAfter"),
                    fallback,
                    rule.Because ?? ""));
            }

            if (_problems.Count > 0)
            {
                throw new ApprovalRulesException(_problems);
            }

            return new ApprovalRules(document.Version!, rules.ToImmutable(), principals, groups.ToImmutable(), owners.ToImmutable());
        }

        private ApproverTarget? Target(TargetDocument? target, string where, ImmutableDictionary<string, ApproverRef> principals, ImmutableDictionary<string, ApproverRef>.Builder groups)
        {
            var set = new[] { target?.Principal, target?.Group, target?.OwnerOf }.Count(v => !string.IsNullOrWhiteSpace(v));
            if (target is null || set != 1)
            {
                return Problem<ApproverTarget?>(null, $"{where}: name exactly one of principal, group or ownerOf");
            }

            if (target.Principal is { } p && !principals.ContainsKey(p))
            {
                return Problem<ApproverTarget?>(null, $"{where}: principal '{p}' is not declared under principals");
            }

            if (target.Group is { } g && !groups.ContainsKey(g))
            {
                return Problem<ApproverTarget?>(null, $"{where}: group '{g}' is not declared under groups");
            }

            return new ApproverTarget(target.Principal, target.Group, target.OwnerOf);
        }

        private TimeSpan Duration(string? iso8601, string where)
        {
            if (string.IsNullOrWhiteSpace(iso8601))
            {
                return Problem(TimeSpan.Zero, $"{where} is required (ISO 8601, e.g. PT24H)");
            }

            try
            {
                var span = XmlConvert.ToTimeSpan(iso8601);
                return span > TimeSpan.Zero ? span : Problem(TimeSpan.Zero, $"{where} must be positive");
            }
            catch (FormatException)
            {
                return Problem(TimeSpan.Zero, $"{where}: '{iso8601}' is not an ISO 8601 duration (e.g. PT24H, P3D)");
            }
        }

        private T Problem<T>(T value, string problem)
        {
            _problems.Add(problem);
            return value;
        }
    }
}

/// <summary>One routing rule: when the condition holds, a seat goes to the target, because of the templated text.</summary>
/// <param name="Because">May use {domain}, {controls}, {tags}, {changeKinds} (the matched ones) and {systems}.</param>
public sealed record RouteRule(
    string Id,
    RuleCondition When,
    ApproverTarget To,
    SeatKind Kind,
    int OpensAfterSignatures,
    TimeSpan ExpiresAfter,
    ApproverTarget? Fallback,
    string Because);

/// <summary>All set clauses must hold; a list clause holds when the change has any of its values.</summary>
public sealed record RuleCondition
{
    public ImmutableArray<string> Domains { get; init; } = [];

    public ImmutableArray<string> TagsAny { get; init; } = [];

    public ImmutableArray<string> ChangeKindsAny { get; init; } = [];

    public ImmutableArray<string> ControlsAny { get; init; } = [];

    /// <summary>"touches more than 10 production systems".</summary>
    public int? ProductionSystemsAbove { get; init; }

    public bool Matches(ChangeAttributes change) =>
        (Domains.IsEmpty || Domains.Contains(change.Domain))
        && (TagsAny.IsEmpty || TagsAny.Intersect(change.Tags).Any())
        && (ChangeKindsAny.IsEmpty || ChangeKindsAny.Intersect(change.ChangeKinds).Any())
        && (ControlsAny.IsEmpty || ControlsAny.Intersect(change.Controls).Any())
        && (ProductionSystemsAbove is not { } above || change.ProductionSystemsTouched > above);
}

/// <summary>Exactly one is set: a named principal, a group, or the owner of a responsibility in the change's domain.</summary>
public sealed record ApproverTarget(string? PrincipalId, string? GroupId, string? OwnerOf);

public sealed class ApprovalRulesException(IReadOnlyList<string> problems)
    : Exception($"approval rules are invalid: {string.Join("; ", problems)}")
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
