using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation.Patterns.Storage;

/// <summary>Deleted blobs that cannot be recovered: soft delete off, or kept for less than a week.</summary>
public sealed class BlobSoftDelete : ViolationPattern
{
    public const int MinimumDays = 7;

    public override string Id => "AZ-STG-003";

    public override string Title => "blob soft delete disabled or shorter than 7 days";

    public override Severity Severity => Severity.Medium;

    public override IReadOnlyList<FrameworkControl> Frameworks { get; } =
    [
        FrameworkControl.Cis("3.11"),
        FrameworkControl.Soc("A1.2"),
        FrameworkControl.Iso("A.12.3.1"),
        FrameworkControl.HipaaRule("164.308(a)(7)(ii)(A)"),
        FrameworkControl.GdprArticle("Art. 32(1)(c)"),
    ];

    public override AppliesTo AppliesTo { get; } = new(AssetKind.BlobService);

    public override string FixAction => $"enable blob soft delete for {MinimumDays} days";

    public override IReadOnlyList<FieldValue> Project(AssetState asset) =>
        [new("deleteRetention", Expect<BlobServiceState>(asset).DeleteRetention.ToString())];

    protected override IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt) =>
        Expect<BlobServiceState>(asset).DeleteRetention is { Enabled: true, Days: >= MinimumDays }
            ? []
            : [new Observation("deleteRetention", Project(asset)[0].Value, $"enabled, at least {MinimumDays} days")];

    protected override StorageOperation Fix(AssetState asset, DateTimeOffset readAt) =>
        new SetDeleteRetention(asset.Id, new RetentionPolicy(true, MinimumDays));

    protected override StorageOperation Restore(AssetState backup, string backupFile) =>
        new SetDeleteRetention(backup.Id, Expect<BlobServiceState>(backup).DeleteRetention);
}
