using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Drift;

[JsonConverter(typeof(JsonStringEnumConverter<AttributionStatus>))]
public enum AttributionStatus
{
    Attributed,

    /// <summary>No source matched yet; the drift waits until its settle time for late sources.</summary>
    Pending,

    /// <summary>Settled with no source: "unknown source" is a category, not a shrug.</summary>
    Unknown,
}

/// <summary>What caused an attributed drift.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CauseKind>))]
public enum CauseKind
{
    TerraformRun,
    ChangeRecord,

    /// <summary>A vendor: the patch feed, or the vendor's own service event (CloudTrail AwsServiceEvent RotateKey).</summary>
    Vendor,
    ScimSync,

    /// <summary>A person, through a console, CLI or API (Activity Log, Resource Graph, directory audit, CloudTrail).</summary>
    Person,
}

/// <summary>
/// Who or what made a drift, with every source record looked at. <see cref="CauseId"/> groups drifts of one cause
/// into one feed row (one Terraform run that changed 40 objects is one row).
/// </summary>
public sealed record Attribution(AttributionStatus Status)
{
    public CauseKind? Cause { get; init; }

    /// <summary>The cause's id: run id, change id, vendor event id, the person's correlation id or event id.</summary>
    public string? CauseId { get; init; }

    /// <summary>The acting identity (UPN, app id, ARN) when known.</summary>
    public string? Actor { get; init; }

    /// <summary>A change ticket the cause links to (from the run's message/branch, or a change record in window).</summary>
    public string? LinkedChange { get; init; }

    /// <summary>The source record that explains the drift (the run, the audit record, the change record).</summary>
    public SourceEvent? Source { get; init; }

    /// <summary>Every source record considered, for the forensic bundle.</summary>
    public ImmutableArray<SourceEvent> LookedAt { get; init; } = [];

    /// <summary>For a pending drift: when it turns unknown if nothing arrives.</summary>
    public DateTimeOffset? SettleAt { get; init; }

    /// <summary>How the match was made: "correlation-id", "automation-identity", "terraform-window", "change-window", "object".</summary>
    public string? Join { get; init; }

    public static Attribution PendingUntil(DateTimeOffset settleAt, ImmutableArray<SourceEvent> lookedAt) =>
        new(AttributionStatus.Pending) { SettleAt = settleAt, LookedAt = lookedAt };

    public static Attribution UnknownSource(ImmutableArray<SourceEvent> lookedAt) => new(AttributionStatus.Unknown) { LookedAt = lookedAt };

    /// <summary>The key drifts are grouped by in the feed (null for pending and unknown: those group by object).</summary>
    public string? GroupKey => Status == AttributionStatus.Attributed ? $"{DriftNames.Of(Cause!.Value)}:{CauseId}" : null;

    /// <summary>"Attributed to Terraform run run-… · commit a4f2…e991 · sender j.tran · linked to CHG-00604", or "unknown source".</summary>
    public string Render()
    {
        if (Status == AttributionStatus.Unknown)
        {
            return "unknown source";
        }

        if (Status == AttributionStatus.Pending)
        {
            return $"pending: no source yet, settles {DriftJson.Time(SettleAt!.Value)}";
        }

        var text = new StringBuilder("Attributed to ");
        var source = Source;
        switch (Cause)
        {
            case CauseKind.TerraformRun:
                text.Append("Terraform run ").Append(CauseId);
                Add(text, "commit", Abbreviate(source?.Detail(SourceDetail.Commit)));
                Add(text, "sender", source?.Detail(SourceDetail.Sender));
                break;
            case CauseKind.ChangeRecord:
                text.Append("change record ").Append(CauseId);
                Add(text, "owner", source?.Detail(SourceDetail.Owner));
                break;
            case CauseKind.Vendor:
                text.Append("vendor ").Append(source?.Detail(SourceDetail.Vendor) ?? source?.ActorName ?? Actor ?? "?");
                Add(text, "", Join2(source?.Detail(SourceDetail.Operation) ?? source?.Detail(SourceDetail.Release), source?.Detail(SourceDetail.RotationType)));
                Add(text, DriftNames.Of(source?.Kind ?? SourceKind.VendorPatch), source?.EventId);
                break;
            case CauseKind.ScimSync:
                text.Append("SCIM sync by ").Append(source?.ActorName ?? Actor);
                Add(text, "audit", source?.EventId);
                break;
            case CauseKind.Person:
                text.Append(source?.ActorName ?? Actor ?? "a person");
                if (source?.Detail(SourceDetail.ClientType) is { } client)
                {
                    text.Append(" via ").Append(client);
                }

                Add(text, DriftNames.Of(source?.Kind ?? SourceKind.ActivityLog), source?.Detail(SourceDetail.Operation));
                Add(text, "correlation", source?.CorrelationId);
                break;
            default:
                text.Append(CauseId);
                break;
        }

        if (LinkedChange is { } change && Cause != CauseKind.ChangeRecord)
        {
            text.Append(" · linked to ").Append(change);
        }

        return text.ToString();
    }

    public override string ToString() => Render();

    /// <summary>"a4f2c0de…e991" → "a4f2…e991": a commit people can recognise on one line.</summary>
    public static string? Abbreviate(string? commit) => commit is { Length: > 9 } ? $"{commit[..4]}…{commit[^4..]}" : commit;

    private static string? Join2(string? a, string? b) => a is null ? b : b is null ? a : $"{a} ({b})";

    private static void Add(StringBuilder text, string label, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            text.Append(" · ");
            if (label.Length > 0)
            {
                text.Append(label).Append(' ');
            }

            text.Append(value);
        }
    }
}

/// <summary>How long an unmatched drift waits for late sources, per source system of the object (default 15 min).</summary>
public sealed record SettlePolicy(TimeSpan Default)
{
    public static SettlePolicy Standard { get; } = new(TimeSpan.FromMinutes(15));

    /// <summary>Source system (azure, entra, aws, …) → its settle window, where it differs from <see cref="Default"/>.</summary>
    public ImmutableDictionary<string, TimeSpan> PerSystem { get; init; } = ImmutableDictionary.Create<string, TimeSpan>(StringComparer.OrdinalIgnoreCase);

    public TimeSpan For(string sourceSystem) => PerSystem.TryGetValue(sourceSystem, out var window) ? window : Default;
}
