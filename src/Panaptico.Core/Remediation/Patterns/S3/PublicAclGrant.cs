using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Core.Remediation.Patterns.S3;

/// <summary>
/// The walkthrough: a production bucket whose ACL grants everyone (AllUsers) or every AWS account holder
/// (AuthenticatedUsers) anything. The fix is the canned ACL <c>private</c>; the backup is the ACL as an
/// <c>acl-snapshot-&lt;change&gt;.json</c> the AWS CLI reads back, which the inverse command names.
/// </summary>
public sealed class PublicAclGrant : ViolationPattern
{
    public override string Id => "AWS-S3-001";

    public override string Title => "public-read bucket";

    public override Severity Severity => Severity.High;

    // The walkthrough's ticket names exactly these: CIS 1.20 · SOC 2 CC6.6 · ISO 27001 A.9.4.1.
    public override IReadOnlyList<FrameworkControl> Frameworks { get; } =
    [
        FrameworkControl.CisAwsFoundations("1.20"),
        FrameworkControl.Soc("CC6.6"),
        FrameworkControl.Iso("A.9.4.1"),
    ];

    public override AppliesTo AppliesTo { get; } = new(AssetKind.S3Bucket, S3Patterns.Production);

    public override string FixAction => "remove public-read grant";

    public override string BackupFile(ChangeId change) => $"acl-snapshot-{change}.json";

    public override byte[] WriteBackup(AssetState asset) =>
        (Expect<S3BucketState>(asset).Acl ?? throw new ArgumentException($"{asset.Id}: the ACL was not read", nameof(asset))).ToAccessControlPolicyJson();

    /// <summary>The snapshot holds the ACL only; the other elements read as not captured.</summary>
    public override AssetState ReadBackup(AssetId asset, byte[] backup) =>
        new S3BucketState(asset, BucketAcl.FromAccessControlPolicyJson(backup), null, null, null, null);

    public override IReadOnlyList<FieldValue> Project(AssetState asset) =>
        [new("acl", Expect<S3BucketState>(asset).Acl?.Summary() ?? "not read")];

    protected override IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt)
    {
        var acl = Expect<S3BucketState>(asset).Acl;
        var open = acl?.Grants.Where(g => g.IsPublic).Select(g => $"{g.Grantee.Label(acl.Owner.Id)}: {g.Permission}").Distinct().ToList() ?? [];
        return open.Count == 0 ? [] : [new Observation("acl", string.Join(", ", open), "no public grant on a production bucket")];
    }

    protected override StorageOperation Fix(AssetState asset, DateTimeOffset readAt) => new SetBucketCannedAcl(asset.Id, S3CannedAcl.Private);

    protected override StorageOperation Restore(AssetState backup, string backupFile) =>
        new SetBucketAcl(backup.Id, Expect<S3BucketState>(backup).Acl!, backupFile);
}
