using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Governance.EvidenceGates;

public enum EvidenceKind
{
    /// <summary>A file or config export, e.g. a KMS ListKeys snapshot.</summary>
    FileExport,

    /// <summary>A query or event export with an expected shape, e.g. 14 CloudTrail RotateKey rows.</summary>
    QueryExport,

    /// <summary>Telemetry over a window that must elapse with its condition held, e.g. 48 h post-bake.</summary>
    TelemetryWindow,
}

public enum ArtifactFormat
{
    /// <summary>Any non-empty bytes; only hashed.</summary>
    Any,

    /// <summary>One JSON object per non-empty line (NDJSON); each line is a row.</summary>
    JsonLines,

    /// <summary>One JSON array; each element is a row.</summary>
    JsonArray,
}

/// <summary>
/// One evidence requirement, declared before the task is ready. File and query exports may carry a machine
/// <see cref="Check"/>; a telemetry window carries its <see cref="Window"/> and, once the bake starts, its start time.
/// </summary>
public sealed record EvidenceRequirement(string Id, string Title, EvidenceKind Kind)
{
    public EvidenceCheck? Check { get; init; }

    public TelemetryWindowSpec? Window { get; init; }

    /// <summary>Set by <see cref="EvidenceGate.StartTelemetryWindow"/>; the window ends at this time plus its duration.</summary>
    public DateTimeOffset? WindowStartedAt { get; init; }

    /// <summary>
    /// Set by <see cref="EvidenceGate.WindowElapsed"/> when the window's durable timer fired for this start (the owner
    /// was told to upload the export covering it); a restart after a breach clears it.
    /// </summary>
    public DateTimeOffset? WindowElapsedAt { get; init; }

    [JsonIgnore]
    public DateTimeOffset? WindowEndsAt => WindowStartedAt + Window?.Duration;
}

/// <summary>
/// A declarative machine check over an artifact's rows. Every clause set must hold; the first that fails is the
/// rejection reason.
/// </summary>
public sealed record EvidenceCheck
{
    public ArtifactFormat Format { get; init; } = ArtifactFormat.JsonLines;

    /// <summary>"14 rows": the exact row count.</summary>
    public int? ExpectedRows { get; init; }

    public int? MinRows { get; init; }

    /// <summary>Fields every row must carry.</summary>
    public ImmutableArray<string> RequiredFields { get; init; } = [];

    /// <summary>Fields every row must carry with exactly this value (e.g. eventName = RotateKey).</summary>
    public ImmutableSortedDictionary<string, string> FieldEquals { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>
    /// "count before = count after": the row count must equal that of the accepted artifact of this other requirement.
    /// </summary>
    public string? RowsEqualRequirementId { get; init; }

    /// <summary>What a row is, for views: "312 keys", "14 rows".</summary>
    public string Unit { get; init; } = "rows";

    /// <summary>
    /// CloudTrail records counted by the distinct resources they name (<see cref="CloudTrailEventCheck"/>); it stands
    /// alone (no row clauses beside it), and a line that is not a CloudTrail record refuses the upload.
    /// </summary>
    public CloudTrailEventCheck? CloudTrail { get; init; }
}

/// <summary>
/// "48 h post-bake with dependent job failures ≤ 2 %": samples (JSON lines with <c>at</c> and <c>value</c>, and
/// optionally <c>metric</c>) must cover the whole window with no gap longer than <see cref="MaxSampleGap"/> and never
/// exceed <see cref="MaxValue"/>.
/// </summary>
public sealed record TelemetryWindowSpec(TimeSpan Duration, string Metric, double MaxValue, TimeSpan MaxSampleGap)
{
    [JsonIgnore]
    public string Condition => $"{Metric} ≤ {GovernanceText.Number(MaxValue)}";
}
