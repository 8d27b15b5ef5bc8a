using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Drift;

/// <summary>The change streams attribution reads.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SourceKind>))]
public enum SourceKind
{
    /// <summary>Our own change records (remediation chain, tickets): a window, and the objects they name.</summary>
    ChangeRecord,

    /// <summary>Terraform Cloud runs (JSON:API, with ingress attributes): workspace, run, commit, sender, times.</summary>
    TerraformRun,

    /// <summary>A vendor patch feed: the vendor's scheduled or applied changes (an "expected" signal).</summary>
    VendorPatch,

    /// <summary>SCIM/provisioning syncs: Entra directoryAudits logged by the provisioning service.</summary>
    ScimSync,

    /// <summary>Azure Resource Graph <c>resourcechanges</c>.</summary>
    ResourceGraph,

    /// <summary>Azure Activity Log, Administrative category.</summary>
    ActivityLog,

    /// <summary>Microsoft Entra <c>directoryAudits</c>.</summary>
    EntraAudit,

    /// <summary>AWS CloudTrail records.</summary>
    CloudTrail,
}

/// <summary>
/// One change-source record, normalised. Every source's parser makes these; attribution only reads these.
/// </summary>
/// <param name="EventId">The source's own id (run id, audit id, CloudTrail eventID, change id).</param>
/// <param name="At">When the change happened (for a run, applied-at; for a change record, its start).</param>
public sealed record SourceEvent(SourceKind Kind, string EventId, DateTimeOffset At)
{
    /// <summary>The objects the record names, as the source names them (ARM id, Entra object id, KMS key id, our object id).</summary>
    public ImmutableArray<string> Objects { get; init; } = [];

    /// <summary>Who acted: a UPN, an app id, a service principal id, an IAM ARN; null when the source does not say.</summary>
    public string? Actor { get; init; }

    /// <summary>A person's name for <see cref="Actor"/> when the source gives one (display name, the SSO session's user).</summary>
    public string? ActorName { get; init; }

    public string? CorrelationId { get; init; }

    /// <summary>The fields the record says it changed, in the source's words (may be empty: "something on the object").</summary>
    public ImmutableArray<string> Fields { get; init; } = [];

    /// <summary>When the record covers an interval: a run's applying-at, a change record's window start.</summary>
    public DateTimeOffset? WindowStart { get; init; }

    /// <summary>A run's applied-at, a change record's window end.</summary>
    public DateTimeOffset? WindowEnd { get; init; }

    /// <summary>The Terraform workspace (runs), or the vendor (patch feed).</summary>
    public string? Workspace { get; init; }

    /// <summary>
    /// What people read in the attribution line: run id, commit, sender, ticket (e.g. "CHG-00604"), operation,
    /// client type, rotation type. Keys are the <see cref="SourceDetail"/> constants.
    /// </summary>
    public ImmutableDictionary<string, string> Details { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Failed or read-only records explain nothing.</summary>
    public bool Succeeded { get; init; } = true;

    public string? Detail(string key) => Details.GetValueOrDefault(key);
}

/// <summary>The keys of <see cref="SourceEvent.Details"/>.</summary>
public static class SourceDetail
{
    public const string Commit = "commit";
    public const string CommitUrl = "commitUrl";
    public const string Branch = "branch";
    public const string Sender = "sender";
    public const string PullRequest = "pullRequest";
    public const string Ticket = "ticket";
    public const string Operation = "operation";
    public const string ClientType = "clientType";
    public const string Status = "status";
    public const string RunSource = "runSource";
    public const string Message = "message";
    public const string EventType = "eventType";
    public const string RotationType = "rotationType";
    public const string Vendor = "vendor";
    public const string Release = "release";
    public const string ChangeType = "changeType";
    public const string IpAddress = "ipAddress";
    public const string Category = "category";
    public const string Title = "title";
    public const string Owner = "owner";
}
