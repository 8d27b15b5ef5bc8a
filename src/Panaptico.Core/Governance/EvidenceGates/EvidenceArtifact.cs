namespace Panaptico.Core.Governance.EvidenceGates;

public enum ArtifactOutcome
{
    /// <summary>Passed its check; satisfies the requirement.</summary>
    Accepted,

    /// <summary>Failed its check; kept as evidence with the reason, does not satisfy.</summary>
    Rejected,

    /// <summary>Telemetry that holds so far but does not yet cover the whole window.</summary>
    Pending,
}

/// <summary>The bytes of an artifact as the caller received them; the vault stores them by the hash the gate computes.</summary>
public sealed record ArtifactContent(string FileName, string MediaType, ReadOnlyMemory<byte> Bytes);

/// <summary>What the check read from an artifact, kept so later checks can compare without the bytes.</summary>
public sealed record ArtifactSummary(int? Rows, DateTimeOffset? CoveredFrom = null, DateTimeOffset? CoveredTo = null, double? PeakValue = null)
{
    public static readonly ArtifactSummary None = new(Rows: null);
}

/// <param name="Sha256">64 lowercase hex digits of the bytes.</param>
/// <param name="Reason">Why it was accepted, rejected or is pending, in words ("expected 14 rows, got 13").</param>
public sealed record EvidenceArtifact(
    string Id,
    string RequirementId,
    string FileName,
    string MediaType,
    string Sha256,
    long Size,
    ArtifactSummary Summary,
    ArtifactOutcome Outcome,
    string Reason,
    string CapturedBy,
    DateTimeOffset CapturedAt);
