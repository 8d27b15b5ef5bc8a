using System.Text.Json.Nodes;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation.Tickets;

/// <summary>The violation a change remediates: the pattern and its primary control (the pattern's first), e.g. <c>CIS Azure 3.7</c>.</summary>
public sealed record ViolationRef(string PatternId, string Title, FrameworkControl? Primary)
{
    public override string ToString() => Primary is null ? $"{PatternId} {Title}" : $"{Primary} {Title}";
}

/// <summary>
/// The ticket: exactly the walkthrough's structured fields, each a column an auditor asks for, and no free text.
/// </summary>
public sealed record ChangeRecord(
    ChangeId Id,
    ViolationRef Violation,
    AssetId Asset,
    IReadOnlyList<FrameworkControl> Framework,
    Severity Severity,
    string Owner,
    DateTimeOffset Detected)
{
    public static ChangeRecord Open(ChangeId id, ViolationPattern pattern, Finding finding, OwnerTaggingMap owners)
    {
        if (finding.PatternId != pattern.Id)
        {
            throw new ArgumentException($"finding of {finding.PatternId} given with pattern {pattern.Id}", nameof(finding));
        }
        var primary = pattern.Frameworks.Count > 0 ? pattern.Frameworks[0] : null;
        return new ChangeRecord(
            id,
            new ViolationRef(pattern.Id, pattern.Title, primary),
            finding.Asset,
            [.. pattern.Frameworks.Where(f => f != primary)],
            pattern.Severity,
            owners.Infer(finding.Tags).Address,
            finding.DetectedAt.ToUniversalTime());
    }

    /// <summary>The ticket as the walkthrough prints it.</summary>
    public string Render() => string.Join('\n',
        Id.ToString(),
        $"violation: {Violation}",
        $"asset: {Asset}",
        $"framework: {string.Join(" · ", Framework)}",
        $"severity: {Severity.ToString().ToLowerInvariant()}",
        $"owner: {Owner}",
        $"detected: {Detected.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC");

    public JsonObject ToJson() => new()
    {
        ["id"] = Id.ToString(),
        ["violation"] = new JsonObject
        {
            ["pattern"] = Violation.PatternId,
            ["title"] = Violation.Title,
            ["control"] = Violation.Primary?.ToString(),
        },
        ["asset"] = Asset.ToString(),
        ["framework"] = new JsonArray([.. Framework.Select(f => (JsonNode)JsonValue.Create(f.ToString()))]),
        ["severity"] = Severity.ToString().ToLowerInvariant(),
        ["owner"] = Owner,
        ["detected"] = Detected.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'"),
    };
}
