using System.Text.Json;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Patterns.Kms;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Core.Tests.Remediation.Patterns.Kms;

public class KeyRotationDisabledTests
{
    private const string Account = "412390551807";
    private const string KeyId = "2e190004-5e6f-4a7b-8c9d-000000000004";
    private static readonly DateTimeOffset Detected = new(2026, 4, 15, 3, 12, 47, TimeSpan.Zero);

    private readonly KeyRotationDisabled _pattern = new();

    private static KmsKeyState Key(bool? rotation, string manager = "CUSTOMER", string spec = "SYMMETRIC_DEFAULT", string origin = "AWS_KMS", string state = "Enabled") =>
        new(AssetId.KmsKey(Account, "us-east-1", KeyId), $"arn:aws:kms:us-east-1:{Account}:key/{KeyId}", manager, state, spec, origin,
            ["alias/finance/ap-exports"], new Dictionary<string, string> { ["domain"] = "finance", ["env"] = "prod" },
            rotation, rotation == true ? 365 : null);

    private static KmsAccountState Scan(params KmsKeyState[] keys) => new("acme-kms", new Dictionary<string, string>(), keys, Detected);

    [Fact]
    public void Detects_rotation_disabled_on_a_customer_managed_symmetric_key_with_the_keys_own_tags()
    {
        var finding = Assert.Single(_pattern.Detect(Scan(Key(rotation: false))));

        Assert.Equal("AWS-KMS-001", finding.PatternId);
        Assert.Equal($"aws-kms://{Account}/us-east-1/{KeyId}", finding.Asset.ToString());
        Assert.Equal(new Observation("rotation", "disabled", "automatic rotation enabled on a customer-managed key"), Assert.Single(finding.Evidence));
        Assert.Equal("prod", finding.Tags["env"]);
    }

    [Fact]
    public void Rotation_enabled_is_compliant()
    {
        Assert.Empty(_pattern.Detect(Scan(Key(rotation: true))));
    }

    [Fact]
    public void An_aws_managed_key_is_not_a_violation_even_were_its_rotation_read_as_off()
    {
        Assert.Empty(_pattern.Detect(Scan(Key(rotation: false, manager: "AWS"))));
    }

    [Theory]
    [InlineData("ECC_NIST_P256", "AWS_KMS", "Enabled")]
    [InlineData("SYMMETRIC_DEFAULT", "EXTERNAL", "Enabled")]
    [InlineData("SYMMETRIC_DEFAULT", "AWS_KMS", "Disabled")]
    public void A_key_that_cannot_rotate_automatically_is_not_judged(string spec, string origin, string state)
    {
        var key = Key(rotation: null, spec: spec, origin: origin, state: state);

        Assert.Empty(_pattern.Detect(Scan(key)));
        Assert.StartsWith("not rotatable (", Assert.Single(_pattern.Project(key)).Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Fix_is_enable_key_rotation_byte_for_byte_and_predicts_rotation_enabled()
    {
        var finding = _pattern.Detect(Scan(Key(rotation: false)))[0];

        var plan = _pattern.PlanFix(finding);

        Assert.Equal($"aws kms enable-key-rotation \\\n  --key-id {KeyId} \\\n  --region us-east-1", plan.Command);
        Assert.Equal(new SetKeyRotation(finding.Asset, Enabled: true), plan.Operation);
        Assert.Equal([new FieldValue("rotation", "disabled")], plan.Before);
        Assert.Equal([new FieldValue("rotation", "enabled")], plan.Predicted.Fields);
        Assert.Equal("enable automatic key rotation", plan.Action);
        Assert.Equal(JsonSerializer.Serialize(plan, RemediationJson.Options), JsonSerializer.Serialize(_pattern.PlanFix(finding), RemediationJson.Options));
    }

    [Fact]
    public void Verify_passes_on_rotation_read_back_enabled_and_fails_naming_the_field_when_still_disabled()
    {
        var plan = _pattern.PlanFix(_pattern.Detect(Scan(Key(rotation: false)))[0]);

        Assert.True(_pattern.Verify(plan.Predicted, Key(rotation: true)).Matches);
        var failed = _pattern.Verify(plan.Predicted, Key(rotation: false));
        Assert.False(failed.Matches);
        Assert.Equal(["rotation: expected 'enabled', observed 'disabled'"], failed.Mismatches);
    }

    [Fact]
    public void The_inverse_is_disable_key_rotation_computed_from_the_backup()
    {
        var backup = Key(rotation: false);
        var plan = _pattern.PlanFix(_pattern.Detect(Scan(backup))[0]);

        var inverse = Assert.IsType<InversePlan>(_pattern.Inverse(plan, backup));

        Assert.Equal($"aws kms disable-key-rotation \\\n  --key-id {KeyId} \\\n  --region us-east-1", inverse.Command);
        Assert.Equal(new SetKeyRotation(backup.Id, Enabled: false), inverse.Operation);
        Assert.Equal([new FieldValue("rotation", "disabled")], inverse.Predicted.Fields);
    }

    [Fact]
    public void The_ticket_names_the_cis_control_first_then_soc2_iso_and_pci()
    {
        var finding = _pattern.Detect(Scan(Key(rotation: false)))[0];

        var ticket = ChangeRecord.Open(ChangeId.Parse("CHG-2026-0415-001"), _pattern, finding, new OwnerTaggingMap(["owner"], new Dictionary<string, string>(), "platform-security@example.com"));

        Assert.Equal(string.Join('\n',
            "CHG-2026-0415-001",
            "violation: CIS 3.8 KMS key rotation disabled",
            $"asset: aws-kms://{Account}/us-east-1/{KeyId}",
            "framework: SOC 2 CC6.1 · ISO 27001 A.10.1.2 · PCI-DSS 3.7.4",
            "severity: medium",
            "owner: platform-security@example.com",
            "detected: 2026-04-15 03:12:47 UTC"), ticket.Render());
    }

    [Fact]
    public void A_kms_key_id_and_state_round_trip_through_their_text_and_json_forms()
    {
        var key = Key(rotation: true);

        Assert.Equal(key.Id, AssetId.Parse(key.Id.ToString()));
        Assert.Equal(AssetKind.KmsKey, key.Id.Kind);
        Assert.Equal(CloudProvider.Aws, key.Id.Provider);
        Assert.False(AssetId.TryParse($"aws-kms://{Account}/us-east-1", out _));
        Assert.False(AssetId.TryParse($"aws-kms://4123/us-east-1/{KeyId}", out _));
        Assert.False(AssetId.TryParse($"aws-kms://{Account}/useast/{KeyId}", out _));
        Assert.False(AssetId.TryParse($"aws-kms://{Account}/us-east-1/alias/finance", out _));

        var json = JsonSerializer.Serialize<AssetState>(key, RemediationJson.Options);
        var back = Assert.IsType<KmsKeyState>(JsonSerializer.Deserialize<AssetState>(json, RemediationJson.Options));
        Assert.Equal(key.Id, back.Id);
        Assert.Equal(key.Tags, back.Tags);
        Assert.Equal((true, 365), (back.RotationEnabled, back.RotationPeriodInDays));
        var operation = JsonSerializer.Deserialize<StorageOperation>(JsonSerializer.Serialize<StorageOperation>(new SetKeyRotation(key.Id, false), RemediationJson.Options), RemediationJson.Options);
        Assert.Equal(new SetKeyRotation(key.Id, false), operation);
    }
}
