using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation.Patterns.S3;

/// <summary>A production bucket whose public access block is not fully on (none configured reads as all four off).</summary>
public sealed class PublicAccessBlockOff : ViolationPattern
{
    public override string Id => "AWS-S3-002";

    public override string Title => "public access block off on a production bucket";

    public override Severity Severity => Severity.High;

    public override IReadOnlyList<FrameworkControl> Frameworks { get; } =
    [
        FrameworkControl.CisAwsFoundations("1.20"),
        FrameworkControl.Soc("CC6.6"),
        FrameworkControl.Iso("A.9.4.1"),
        FrameworkControl.HipaaRule("164.312(a)(1)"),
        FrameworkControl.Pci("7.2.1"),
        FrameworkControl.GdprArticle("Art. 32(1)(b)"),
    ];

    public override AppliesTo AppliesTo { get; } = new(AssetKind.S3Bucket, S3Patterns.Production);

    public override string FixAction => "turn the public access block on";

    public override IReadOnlyList<FieldValue> Project(AssetState asset) =>
        [new("publicAccessBlock", Expect<S3BucketState>(asset).PublicAccessBlock?.ToString() ?? "not read")];

    protected override IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt) =>
        Expect<S3BucketState>(asset).PublicAccessBlock is { IsAllOn: false }
            ? [new Observation("publicAccessBlock", Project(asset)[0].Value, "all four settings on for a production bucket")]
            : [];

    protected override StorageOperation Fix(AssetState asset, DateTimeOffset readAt) => new SetPublicAccessBlock(asset.Id, S3PublicAccessBlock.AllOn);

    protected override StorageOperation Restore(AssetState backup, string backupFile) =>
        new SetPublicAccessBlock(backup.Id, Expect<S3BucketState>(backup).PublicAccessBlock!);
}
