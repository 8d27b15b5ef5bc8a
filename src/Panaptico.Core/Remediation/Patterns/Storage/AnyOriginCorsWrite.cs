using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation.Patterns.Storage;

/// <summary>
/// A blob service CORS rule that lets any web origin write or delete. The fix keeps the rule's read methods and
/// strips the writing ones (dropping the rule if nothing is left), so browsers that only read keep working.
/// </summary>
public sealed class AnyOriginCorsWrite : ViolationPattern
{
    private static readonly HashSet<string> WritingMethods = new(["PUT", "POST", "PATCH", "MERGE", "DELETE"], StringComparer.OrdinalIgnoreCase);

    public override string Id => "AZ-STG-002";

    public override string Title => "CORS allows any origin to write or delete";

    public override Severity Severity => Severity.High;

    // CIS Azure Foundations has no storage CORS control; the access-boundary controls are the ones that apply.
    public override IReadOnlyList<FrameworkControl> Frameworks { get; } =
    [
        FrameworkControl.Soc("CC6.6"),
        FrameworkControl.Iso("A.14.1.2"),
        FrameworkControl.GdprArticle("Art. 32(1)(b)"),
    ];

    public override AppliesTo AppliesTo { get; } = new(AssetKind.BlobService);

    public override string FixAction => "remove write and delete methods from any-origin CORS rules";

    public override IReadOnlyList<FieldValue> Project(AssetState asset) =>
        [.. Expect<BlobServiceState>(asset).Cors.Select((rule, i) => new FieldValue($"cors[{i}]", rule.ToString()))];

    protected override IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt) =>
        [.. Expect<BlobServiceState>(asset).Cors
            .Select((rule, i) => (rule, i))
            .Where(r => IsOffending(r.rule))
            .Select(r => new Observation($"cors[{r.i}]", r.rule.ToString(), "no write or delete method for origin *"))];

    protected override StorageOperation Fix(AssetState asset, DateTimeOffset readAt)
    {
        var rules = new List<CorsRule>();
        foreach (var rule in Expect<BlobServiceState>(asset).Cors)
        {
            if (!IsOffending(rule))
            {
                rules.Add(rule);
                continue;
            }
            var reading = rule.AllowedMethods.Where(m => !WritingMethods.Contains(m)).ToList();
            if (reading.Count > 0)
            {
                rules.Add(rule with { AllowedMethods = reading });
            }
        }
        return new SetCorsRules(asset.Id, rules);
    }

    protected override StorageOperation Restore(AssetState backup, string backupFile) =>
        new SetCorsRules(backup.Id, Expect<BlobServiceState>(backup).Cors);

    private static bool IsOffending(CorsRule rule) => rule.AllowsAnyOrigin && rule.AllowedMethods.Any(WritingMethods.Contains);
}
