using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation.Patterns.Kms;

/// <summary>
/// A customer-managed KMS key in the governed scope that can rotate automatically and does not: its key material never
/// changes, so everything it ever protected stays behind one secret. AWS-managed keys are out of scope (KMS rotates
/// them itself and refuses to have their rotation changed), and so are keys that cannot rotate automatically
/// (asymmetric, HMAC, imported material, custom key stores, disabled). The fix is <c>EnableKeyRotation</c> with KMS's
/// default period (365 days); the inverse is <c>DisableKeyRotation</c>.
/// </summary>
public sealed class KeyRotationDisabled : ViolationPattern
{
    public override string Id => "AWS-KMS-001";

    public override string Title => "KMS key rotation disabled";

    public override Severity Severity => Severity.Medium;

    // The library's editions (FrameworkControl): CIS AWS Foundations v1.3.0 3.8 "Ensure rotation for customer created
    // CMKs is enabled" (v1.2.0: 2.8; v3.0.0 renumbered it 3.6); ISO/IEC 27001:2013 A.10.1.2 key management (2022: A.8.24
    // use of cryptography); PCI DSS v4.0 3.7.4 key changes at the end of the cryptoperiod (v3.2.1: 3.6.4).
    public override IReadOnlyList<FrameworkControl> Frameworks { get; } =
    [
        FrameworkControl.CisAwsFoundations("3.8"),
        FrameworkControl.Soc("CC6.1"),
        FrameworkControl.Iso("A.10.1.2"),
        FrameworkControl.Pci("3.7.4"),
    ];

    public override AppliesTo AppliesTo { get; } = new(AssetKind.KmsKey);

    public override string FixAction => "enable automatic key rotation";

    public override IReadOnlyList<FieldValue> Project(AssetState asset)
    {
        var key = Expect<KmsKeyState>(asset);
        return [new("rotation", key.RotationEnabled switch
        {
            true => "enabled",
            false => "disabled",
            null => $"not rotatable ({key.NotRotatable ?? "not read"})",
        })];
    }

    protected override IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt)
    {
        var key = Expect<KmsKeyState>(asset);
        return key is { KeyManager: KmsKeyState.CustomerManaged, NotRotatable: null, RotationEnabled: false }
            ? [new Observation("rotation", "disabled", "automatic rotation enabled on a customer-managed key")]
            : [];
    }

    protected override StorageOperation Fix(AssetState asset, DateTimeOffset readAt) => new SetKeyRotation(asset.Id, Enabled: true);

    protected override StorageOperation Restore(AssetState backup, string backupFile)
    {
        var key = Expect<KmsKeyState>(backup);
        return key.RotationEnabled == true
            ? new SetKeyRotation(backup.Id, Enabled: true, key.RotationPeriodInDays)
            : new SetKeyRotation(backup.Id, Enabled: false);
    }
}
