using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation.Patterns.Storage;

/// <summary>A production container readable by anyone on the internet (the walkthrough's public-read bucket).</summary>
public sealed class PublicContainerAccess : ViolationPattern
{
    public override string Id => "AZ-STG-001";

    public override string Title => "public container access on production";

    public override Severity Severity => Severity.High;

    public override IReadOnlyList<FrameworkControl> Frameworks { get; } =
    [
        FrameworkControl.Cis("3.7"),
        FrameworkControl.Soc("CC6.6"),
        FrameworkControl.Iso("A.9.4.1"),
        FrameworkControl.HipaaRule("164.312(a)(1)"),
        FrameworkControl.Pci("7.2.1"),
        FrameworkControl.GdprArticle("Art. 32(1)(b)"),
    ];

    public override AppliesTo AppliesTo { get; } = new(AssetKind.BlobContainer, new TagCondition("env", ["prod", "production"]));

    public override string FixAction => "remove public access";

    public override IReadOnlyList<FieldValue> Project(AssetState asset) =>
        [new("publicAccess", Expect<ContainerState>(asset).PublicAccess.ToString().ToLowerInvariant())];

    protected override IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt) =>
        Expect<ContainerState>(asset).PublicAccess == PublicAccessLevel.None
            ? []
            : [new Observation("publicAccess", Project(asset)[0].Value, "none on a production asset")];

    protected override StorageOperation Fix(AssetState asset, DateTimeOffset readAt) =>
        new SetContainerPublicAccess(asset.Id, PublicAccessLevel.None);

    protected override StorageOperation Restore(AssetState backup, string backupFile) =>
        new SetContainerPublicAccess(backup.Id, Expect<ContainerState>(backup).PublicAccess);
}
