using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation.Patterns.Storage;

/// <summary>
/// Storage Analytics logging of blob reads, writes or deletes switched off. The fix switches all three on and
/// keeps the log version and retention as they were.
/// </summary>
public sealed class BlobRequestLogging : ViolationPattern
{
    public override string Id => "AZ-STG-005";

    public override string Title => "blob read/write/delete logging disabled";

    public override Severity Severity => Severity.Medium;

    public override IReadOnlyList<FrameworkControl> Frameworks { get; } =
    [
        FrameworkControl.Cis("3.13"),
        FrameworkControl.Soc("CC7.2"),
        FrameworkControl.Iso("A.12.4.1"),
        FrameworkControl.HipaaRule("164.312(b)"),
        FrameworkControl.Pci("10.2.1"),
    ];

    public override AppliesTo AppliesTo { get; } = new(AssetKind.BlobService);

    public override string FixAction => "enable blob logging of read, write and delete requests";

    public override IReadOnlyList<FieldValue> Project(AssetState asset)
    {
        var logging = Expect<BlobServiceState>(asset).Logging;
        return
        [
            new("logging.read", Flag(logging.Read)),
            new("logging.write", Flag(logging.Write)),
            new("logging.delete", Flag(logging.Delete)),
            new("logging.version", logging.Version),
            new("logging.retention", logging.Retention.ToString()),
        ];
    }

    protected override IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt)
    {
        var logging = Expect<BlobServiceState>(asset).Logging;
        return
        [
            .. new[] { ("logging.read", logging.Read), ("logging.write", logging.Write), ("logging.delete", logging.Delete) }
                .Where(f => !f.Item2)
                .Select(f => new Observation(f.Item1, "false", "true")),
        ];
    }

    protected override StorageOperation Fix(AssetState asset, DateTimeOffset readAt)
    {
        var logging = Expect<BlobServiceState>(asset).Logging;
        return new SetAnalyticsLogging(asset.Id, logging with
        {
            Read = true,
            Write = true,
            Delete = true,
            Version = string.IsNullOrEmpty(logging.Version) ? "1.0" : logging.Version,
        });
    }

    protected override StorageOperation Restore(AssetState backup, string backupFile) =>
        new SetAnalyticsLogging(backup.Id, Expect<BlobServiceState>(backup).Logging);

    private static string Flag(bool value) => value ? "true" : "false";
}
