using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Patterns.Storage;

namespace Panaptico.Core.Tests.Remediation.Patterns.Storage;

public class AnyOriginCorsWriteTests
{
    private readonly AnyOriginCorsWrite _pattern = new();

    [Fact]
    public void Detects_only_any_origin_rules_that_write_or_delete()
    {
        var service = Samples.Service(cors:
        [
            Samples.Cors("https://app.acme.example", "GET,PUT"),
            Samples.Cors("*", "GET,HEAD"),
            Samples.Cors("*", "GET,DELETE"),
        ]);

        var finding = Assert.Single(_pattern.Detect(Samples.Account(service)));

        var evidence = Assert.Single(finding.Evidence);
        Assert.Equal("cors[2]", evidence.Field);
        Assert.StartsWith("origins=*; methods=GET,DELETE", evidence.Observed, StringComparison.Ordinal);
    }

    [Fact]
    public void Fix_keeps_reading_methods_and_drops_rules_left_with_none()
    {
        var service = Samples.Service(cors:
        [
            Samples.Cors("https://app.acme.example", "PUT"),
            Samples.Cors("*", "GET,PUT,HEAD"),
            Samples.Cors("*", "DELETE,POST"),
        ]);
        var plan = _pattern.PlanFix(_pattern.Detect(Samples.Account(service))[0]);

        var rules = Assert.IsType<SetCorsRules>(plan.Operation).Rules;

        Assert.Equal(2, rules.Count);
        Assert.Equal(["PUT"], rules[0].AllowedMethods);
        Assert.Equal(["GET", "HEAD"], rules[1].AllowedMethods);
        Assert.Equal(
            "az storage cors clear \\\n  --account-name acmeprod \\\n  --services b\n" +
            "az storage cors add \\\n  --account-name acmeprod \\\n  --services b \\\n  --origins https://app.acme.example \\\n  --methods PUT \\\n  --allowed-headers '*' \\\n  --exposed-headers '*' \\\n  --max-age 3600\n" +
            "az storage cors add \\\n  --account-name acmeprod \\\n  --services b \\\n  --origins '*' \\\n  --methods GET HEAD \\\n  --allowed-headers '*' \\\n  --exposed-headers '*' \\\n  --max-age 3600",
            plan.Command);
        Assert.Equal(2, plan.Predicted.Fields.Count);
    }

    [Fact]
    public void Declares_an_inverse_that_puts_every_backed_up_rule_back_in_order()
    {
        var backup = Samples.Service(cors: [Samples.Cors("*", "GET,PUT"), Samples.Cors("https://a.example", "GET")]);
        var plan = _pattern.PlanFix(_pattern.Detect(Samples.Account(backup))[0]);

        var inverse = Assert.IsType<InversePlan>(_pattern.Inverse(plan, backup));

        Assert.Equal(backup.Cors, Assert.IsType<SetCorsRules>(inverse.Operation).Rules);
        Assert.True(_pattern.Verify(inverse.Predicted, backup).Matches);
        Assert.False(_pattern.Verify(inverse.Predicted, (BlobServiceState)plan.Operation.ApplyTo(backup)).Matches);
    }
}
