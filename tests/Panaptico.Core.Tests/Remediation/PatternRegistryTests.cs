using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Patterns.Kms;
using Panaptico.Core.Remediation.Patterns.S3;
using Panaptico.Core.Remediation.Patterns.Storage;

namespace Panaptico.Core.Tests.Remediation;

public class PatternRegistryTests
{
    [Fact]
    public void The_default_library_holds_the_five_storage_four_s3_and_one_kms_patterns_by_id()
    {
        Assert.Equal(
            ["AWS-KMS-001", "AWS-S3-001", "AWS-S3-002", "AWS-S3-003", "AWS-S3-004", "AZ-STG-001", "AZ-STG-002", "AZ-STG-003", "AZ-STG-004", "AZ-STG-005"],
            PatternRegistry.Default.All.Select(p => p.Id).Order(StringComparer.Ordinal));
        Assert.IsType<BlobSoftDelete>(PatternRegistry.Default["AZ-STG-003"]);
        Assert.False(PatternRegistry.Default.TryGet("AZ-STG-999", out _));
        Assert.Throws<KeyNotFoundException>(() => PatternRegistry.Default["AZ-STG-999"]);
    }

    [Fact]
    public void Every_pattern_is_tagged_with_soc2_and_iso27001_and_all_but_cors_and_s3_versioning_with_cis()
    {
        foreach (var pattern in PatternRegistry.Default.All)
        {
            var frameworks = pattern.Frameworks.Select(f => f.Framework).ToHashSet();
            Assert.Contains(FrameworkControl.Soc2, frameworks);
            Assert.Contains(FrameworkControl.Iso27001, frameworks);
            var cis = pattern.Id.StartsWith("AWS-", StringComparison.Ordinal) ? FrameworkControl.CisAws : FrameworkControl.CisAzure;
            Assert.Equal(pattern is not (AnyOriginCorsWrite or BucketVersioningOff), frameworks.Contains(cis));
        }
        Assert.Equal(["CIS 1.20", "SOC 2 CC6.6", "ISO 27001 A.9.4.1"], new PublicAclGrant().Frameworks.Select(f => f.ToString()));
        Assert.Equal(["CIS 3.8", "SOC 2 CC6.1", "ISO 27001 A.10.1.2", "PCI-DSS 3.7.4"], new KeyRotationDisabled().Frameworks.Select(f => f.ToString()));
        Assert.Equal(
            ["CIS Azure 3.7", "SOC 2 CC6.6", "ISO 27001 A.9.4.1", "HIPAA 164.312(a)(1)", "PCI-DSS 7.2.1", "GDPR Art. 32(1)(b)"],
            new PublicContainerAccess().Frameworks.Select(f => f.ToString()));
    }

    [Fact]
    public void Registering_an_id_twice_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new PatternRegistry([new BlobSoftDelete(), new BlobSoftDelete()]));
    }

    [Fact]
    public void A_scan_runs_every_pattern_in_id_order()
    {
        var state = Samples.Account(
            Samples.Service(deleteRetention: RetentionPolicy.Disabled, logging: new AnalyticsLogging("1.0", false, true, true, RetentionPolicy.Disabled)),
            Samples.Container());

        var findings = PatternRegistry.Default.Detect(state);

        Assert.Equal(["AZ-STG-001", "AZ-STG-003", "AZ-STG-005"], findings.Select(f => f.PatternId));
    }

    [Fact]
    public void Every_shipped_pattern_declares_an_inverse()
    {
        Assert.All(PatternRegistry.Default.All, p => Assert.True(p.IsReversible, $"{p.Id} declares irreversible: {p.IrreversibleReason}"));
    }
}
