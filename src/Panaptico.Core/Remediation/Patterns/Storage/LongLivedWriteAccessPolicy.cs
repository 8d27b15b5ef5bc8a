using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation.Patterns.Storage;

/// <summary>
/// A stored access policy that lets SAS tokens write or delete for more than 90 days (or with no expiry of its own,
/// which leaves the expiry to whoever signs the token). The fix removes such policies, which revokes every SAS
/// issued against them; re-creating a policy under the same id re-arms those tokens, which is what a revert does.
/// </summary>
public sealed class LongLivedWriteAccessPolicy : ViolationPattern
{
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromDays(90);

    public override string Id => "AZ-STG-004";

    public override string Title => "stored access policy grants write or delete beyond 90 days";

    public override Severity Severity => Severity.High;

    public override IReadOnlyList<FrameworkControl> Frameworks { get; } =
    [
        FrameworkControl.Cis("3.6"),
        FrameworkControl.Soc("CC6.1"),
        FrameworkControl.Iso("A.9.4.1"),
        FrameworkControl.HipaaRule("164.312(a)(1)"),
        FrameworkControl.Pci("7.2.1"),
    ];

    public override AppliesTo AppliesTo { get; } = new(AssetKind.BlobContainer);

    public override string FixAction => "revoke write/delete stored access policies that outlive 90 days";

    public override IReadOnlyList<FieldValue> Project(AssetState asset) =>
        [.. Expect<ContainerState>(asset).AccessPolicies.Select(p => new FieldValue($"accessPolicy[{p.Id}]", p.ToString()))];

    protected override IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt) =>
        [.. Expect<ContainerState>(asset).AccessPolicies
            .Where(p => IsOffending(p, readAt))
            .Select(p => new Observation(
                $"accessPolicy[{p.Id}]",
                p.ToString(),
                $"write/delete expiring by {AzureTime.Format(readAt + MaximumLifetime)}"))];

    protected override StorageOperation Fix(AssetState asset, DateTimeOffset readAt) =>
        new SetContainerAccessPolicies(asset.Id, [.. Expect<ContainerState>(asset).AccessPolicies.Where(p => !IsOffending(p, readAt))]);

    protected override StorageOperation Restore(AssetState backup, string backupFile) =>
        new SetContainerAccessPolicies(backup.Id, Expect<ContainerState>(backup).AccessPolicies);

    private static bool IsOffending(StoredAccessPolicy policy, DateTimeOffset readAt) =>
        (policy.GrantsWrite || policy.GrantsDelete)
        && (policy.ExpiresOn is not { } expiry || expiry > readAt + MaximumLifetime);
}
