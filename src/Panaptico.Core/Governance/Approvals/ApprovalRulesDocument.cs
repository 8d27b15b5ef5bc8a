namespace Panaptico.Core.Governance.Approvals;

// The YAML shape of the routing rules, as YamlDotNet reads it; ApprovalRules.Parse validates it into typed records.
#pragma warning disable CA1812 // instantiated by YamlDotNet

internal sealed class ApprovalRulesDocument
{
    public string? Version { get; set; }

    public Dictionary<string, PrincipalDocument>? Principals { get; set; }

    public Dictionary<string, GroupDocument>? Groups { get; set; }

    /// <summary>domain → responsibility (cost-envelope, perf-slo, …) → principal id.</summary>
    public Dictionary<string, Dictionary<string, string>>? Owners { get; set; }

    public List<RuleDocument>? Rules { get; set; }
}

internal sealed class PrincipalDocument
{
    public string? Name { get; set; }

    public string? Title { get; set; }
}

internal sealed class GroupDocument
{
    public string? Name { get; set; }

    public List<string>? Members { get; set; }

    /// <summary>An Entra group whose members are read from the directory when a seat is routed to it.</summary>
    public string? DirectoryGroup { get; set; }
}

internal sealed class RuleDocument
{
    public string? Id { get; set; }

    public ConditionDocument? When { get; set; }

    public TargetDocument? To { get; set; }

    public string? Kind { get; set; }

    public int OpensAfterSignatures { get; set; }

    /// <summary>ISO 8601 duration, e.g. PT24H, P3D.</summary>
    public string? ExpiresAfter { get; set; }

    public TargetDocument? Fallback { get; set; }

    public string? Because { get; set; }
}

internal sealed class ConditionDocument
{
    public List<string>? Domains { get; set; }

    public List<string>? TagsAny { get; set; }

    public List<string>? ChangeKindsAny { get; set; }

    public List<string>? ControlsAny { get; set; }

    public int? ProductionSystemsAbove { get; set; }
}

internal sealed class TargetDocument
{
    public string? Principal { get; set; }

    public string? Group { get; set; }

    public string? OwnerOf { get; set; }
}
