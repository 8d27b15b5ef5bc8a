using System.Text.Json.Nodes;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation.Patterns.S3;

/// <summary>
/// A bucket policy that allows everyone (<c>"Principal": "*"</c>) without a condition narrowing it, on any bucket.
/// The fix removes those statements and keeps the rest; a policy left without statements is deleted.
/// </summary>
public sealed class PublicBucketPolicy : ViolationPattern
{
    public override string Id => "AWS-S3-003";

    public override string Title => "bucket policy grants everyone";

    public override Severity Severity => Severity.Critical;

    public override IReadOnlyList<FrameworkControl> Frameworks { get; } =
    [
        FrameworkControl.CisAwsFoundations("1.20"),
        FrameworkControl.Soc("CC6.1"),
        FrameworkControl.Iso("A.9.4.1"),
        FrameworkControl.HipaaRule("164.312(a)(1)"),
        FrameworkControl.Pci("7.2.1"),
        FrameworkControl.GdprArticle("Art. 32(1)(b)"),
    ];

    public override AppliesTo AppliesTo { get; } = new(AssetKind.S3Bucket);

    public override string FixAction => "remove the policy statements that allow everyone";

    public override IReadOnlyList<FieldValue> Project(AssetState asset) =>
        [new("policy", Expect<S3BucketState>(asset).Policy?.Canonical() ?? "not read")];

    protected override IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt)
    {
        var open = Expect<S3BucketState>(asset).Policy?.Statements().Where(S3BucketPolicy.GrantsEveryone).ToList() ?? [];
        return open.Count == 0
            ? []
            : [.. open.Select(s => new Observation("policy", $"statement {s["Sid"]?.GetValue<string>() ?? "(no Sid)"} allows {s["Action"]?.ToJsonString()} to Principal \"*\"", "no statement allowing everyone"))];
    }

    protected override StorageOperation Fix(AssetState asset, DateTimeOffset readAt)
    {
        var policy = Expect<S3BucketState>(asset).Policy!;
        var document = JsonNode.Parse(policy.Document!)!.AsObject();
        var kept = policy.Statements().Where(s => !S3BucketPolicy.GrantsEveryone(s)).Select(s => s.DeepClone()).ToList();
        if (kept.Count == 0)
        {
            return new SetBucketPolicy(asset.Id, S3BucketPolicy.None);
        }
        document["Statement"] = new JsonArray([.. kept]);
        return new SetBucketPolicy(asset.Id, new S3BucketPolicy(document.ToJsonString()));
    }

    protected override StorageOperation Restore(AssetState backup, string backupFile) =>
        new SetBucketPolicy(backup.Id, Expect<S3BucketState>(backup).Policy!);
}
