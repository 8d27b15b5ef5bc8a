using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation.Patterns.S3;

/// <summary>
/// A production bucket without versioning: an overwrite or delete cannot be recovered. S3 cannot turn versioning off
/// once enabled, only suspend it, so the inverse suspends it (versions written meanwhile stay) and the governed field
/// reads <c>enabled</c> or <c>not enabled</c>.
/// </summary>
public sealed class BucketVersioningOff : ViolationPattern
{
    public override string Id => "AWS-S3-004";

    public override string Title => "versioning off on a production bucket";

    public override Severity Severity => Severity.Medium;

    // CIS AWS Foundations v1.3.0 has no versioning recommendation of its own.
    public override IReadOnlyList<FrameworkControl> Frameworks { get; } =
    [
        FrameworkControl.Soc("A1.2"),
        FrameworkControl.Iso("A.12.3.1"),
        FrameworkControl.HipaaRule("164.308(a)(7)(ii)(A)"),
        FrameworkControl.GdprArticle("Art. 32(1)(c)"),
    ];

    public override AppliesTo AppliesTo { get; } = new(AssetKind.S3Bucket, S3Patterns.Production);

    public override string FixAction => "enable versioning";

    public override IReadOnlyList<FieldValue> Project(AssetState asset) =>
        [new("versioning", Expect<S3BucketState>(asset).Versioning switch
        {
            null => "not read",
            S3Versioning.Enabled => "enabled",
            _ => "not enabled",
        })];

    protected override IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt) =>
        Expect<S3BucketState>(asset).Versioning is S3Versioning.Off or S3Versioning.Suspended
            ? [new Observation("versioning", Expect<S3BucketState>(asset).Versioning!.Value.ToString().ToLowerInvariant(), "enabled on a production bucket")]
            : [];

    protected override StorageOperation Fix(AssetState asset, DateTimeOffset readAt) => new SetBucketVersioning(asset.Id, S3Versioning.Enabled);

    protected override StorageOperation Restore(AssetState backup, string backupFile) => new SetBucketVersioning(backup.Id, S3Versioning.Suspended);
}
