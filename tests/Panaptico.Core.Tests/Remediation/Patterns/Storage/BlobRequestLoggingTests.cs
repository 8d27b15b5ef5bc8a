using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Patterns.Storage;

namespace Panaptico.Core.Tests.Remediation.Patterns.Storage;

public class BlobRequestLoggingTests
{
    private readonly BlobRequestLogging _pattern = new();

    [Fact]
    public void Detects_each_operation_that_is_not_logged()
    {
        var logging = new AnalyticsLogging("2.0", true, false, false, RetentionPolicy.Disabled);

        var finding = Assert.Single(_pattern.Detect(Samples.Account(Samples.Service(logging: logging))));

        Assert.Equal(["logging.write", "logging.delete"], finding.Evidence.Select(e => e.Field));
        Assert.Empty(_pattern.Detect(Samples.Account(Samples.Service())));
    }

    [Fact]
    public void Fix_logs_all_three_and_keeps_version_and_retention()
    {
        var backup = Samples.Service(logging: new AnalyticsLogging("2.0", false, false, false, new RetentionPolicy(true, 5)));
        var plan = _pattern.PlanFix(_pattern.Detect(Samples.Account(backup))[0]);

        Assert.Equal(new AnalyticsLogging("2.0", true, true, true, new RetentionPolicy(true, 5)), Assert.IsType<SetAnalyticsLogging>(plan.Operation).Logging);
        Assert.Equal(
            "az storage logging update \\\n  --account-name acmeprod \\\n  --services b \\\n  --log rwd \\\n  --retention 5 \\\n  --version 2.0",
            plan.Command);
    }

    [Fact]
    public void Declares_an_inverse_that_switches_logging_back_off()
    {
        var backup = Samples.Service(logging: new AnalyticsLogging("1.0", false, false, false, RetentionPolicy.Disabled));
        var plan = _pattern.PlanFix(_pattern.Detect(Samples.Account(backup))[0]);

        var inverse = Assert.IsType<InversePlan>(_pattern.Inverse(plan, backup));

        Assert.Equal(backup.Logging, Assert.IsType<SetAnalyticsLogging>(inverse.Operation).Logging);
        Assert.Equal("az storage logging off \\\n  --account-name acmeprod \\\n  --services b", inverse.Command);
    }
}
