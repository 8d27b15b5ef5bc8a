namespace Panaptico.Core.Evidence;

/// <summary>
/// What a sealed bundle proves: the evidence, the approvals, the gates and the upstream seals of one task or change.
/// Serialized as canonical JSON (RFC 8785); its SHA-256 is the bundle digest that downstream seals and the ledger cite.
/// </summary>
public sealed record BundleManifest
{
    public const string CurrentSchema = "panaptico.evidence-bundle/v1";

    public string Schema { get; init; } = CurrentSchema;
    public required BundleSubject Subject { get; init; }
    public required IReadOnlyList<ManifestArtifact> Artifacts { get; init; }
    public required IReadOnlyList<ManifestApproval> Approvals { get; init; }
    public required IReadOnlyList<ManifestGate> Gates { get; init; }
    public required IReadOnlyList<UpstreamSeal> UpstreamSeals { get; init; }
    public required ImmutabilityStatus Immutability { get; init; }
    public required DateTimeOffset SealedAt { get; init; }
    public required BundleSignerRef Signer { get; init; }
}

/// <param name="Kind">"task", "change" or "drift" (a forensic bundle of one drift feed row).</param>
/// <param name="Id">e.g. "TASK-0412" or "CHG-2026-0418-114".</param>
public sealed record BundleSubject(string Kind, string Id)
{
    public const string Task = "task";
    public const string Change = "change";
    public const string Drift = "drift";

    public override string ToString() => $"{Kind}:{Id}";
}

/// <summary>One evidence file, named by the requirement it satisfies and addressed by its SHA-256.</summary>
public sealed record ManifestArtifact(
    string Requirement,
    string Name,
    string Sha256,
    long Size,
    string MediaType,
    string CapturedBy,
    DateTimeOffset CapturedAt);

/// <summary>One approval decision with the context the approver saw (by hash) and why it was routed to them.</summary>
public sealed record ManifestApproval(
    string Seat,
    string Who,
    DateTimeOffset At,
    string Decision,
    string? Rationale,
    string RoutedBecause,
    string ContextPackSha256);

public sealed record ManifestGate(string Name, DateTimeOffset ClearedAt);

/// <summary>An upstream task's or change's sealed bundle, cited by its manifest digest.</summary>
public sealed record UpstreamSeal(BundleSubject Subject, string BundleDigest);

/// <summary>The exact key version that signed; verification looks it up in the keyring.</summary>
public sealed record BundleSignerRef(string KeyId, string KeyVersion)
{
    /// <summary>The DSSE signature's <c>keyid</c> hint.</summary>
    public override string ToString() => $"{KeyId}#{KeyVersion}";
}

public enum ImmutabilityStatus
{
    NotEnforced,
    Enforced,
}
