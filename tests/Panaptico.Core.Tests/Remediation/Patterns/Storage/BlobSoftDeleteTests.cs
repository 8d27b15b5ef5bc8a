using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Patterns.Storage;

namespace Panaptico.Core.Tests.Remediation.Patterns.Storage;

public class BlobSoftDeleteTests
{
    private readonly BlobSoftDelete _pattern = new();

    [Theory]
    [InlineData(false, null, "disabled")]
    [InlineData(true, 3, "3 days")]
    [InlineData(true, 6, "6 days")]
    public void Detects_soft_delete_off_or_shorter_than_seven_days(bool enabled, int? days, string observed)
    {
        var finding = Assert.Single(_pattern.Detect(Samples.Account(Samples.Service(deleteRetention: new RetentionPolicy(enabled, days)))));

        Assert.Equal(new Observation("deleteRetention", observed, "enabled, at least 7 days"), Assert.Single(finding.Evidence));
    }

    [Fact]
    public void Seven_days_or_more_is_compliant()
    {
        Assert.Empty(_pattern.Detect(Samples.Account(Samples.Service(deleteRetention: new RetentionPolicy(true, 7)))));
    }

    [Fact]
    public void Fix_enables_seven_days_and_the_inverse_switches_it_back_off()
    {
        var backup = Samples.Service(deleteRetention: RetentionPolicy.Disabled);
        var plan = _pattern.PlanFix(_pattern.Detect(Samples.Account(backup))[0]);

        Assert.Equal(
            "az storage blob service-properties delete-policy update \\\n  --account-name acmeprod \\\n  --enable true \\\n  --days-retained 7",
            plan.Command);
        Assert.Equal([new FieldValue("deleteRetention", "7 days")], plan.Predicted.Fields);

        var inverse = Assert.IsType<InversePlan>(_pattern.Inverse(plan, backup));
        Assert.Equal(new SetDeleteRetention(backup.Id, RetentionPolicy.Disabled), inverse.Operation);
        Assert.Equal(
            "az storage blob service-properties delete-policy update \\\n  --account-name acmeprod \\\n  --enable false",
            inverse.Command);
    }
}
