using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Patterns.Storage;

namespace Panaptico.Core.Tests.Remediation.Patterns.Storage;

public class PublicContainerAccessTests
{
    private readonly PublicContainerAccess _pattern = new();

    [Fact]
    public void Detects_a_public_container_tagged_env_prod_with_what_was_seen()
    {
        var findings = _pattern.Detect(Samples.Account(null, Samples.Container(access: PublicAccessLevel.Container)));

        var finding = Assert.Single(findings);
        Assert.Equal("azure-blob://acmeprod/customer-exports", finding.Asset.ToString());
        Assert.Equal(new Observation("publicAccess", "container", "none on a production asset"), Assert.Single(finding.Evidence));
        Assert.Equal("prod", finding.Tags["env"]);
    }

    [Fact]
    public void Ignores_private_and_non_production_containers()
    {
        var state = Samples.Account(
            null,
            Samples.Container("private-prod", PublicAccessLevel.None),
            Samples.Container("public-dev", PublicAccessLevel.Blob, new Dictionary<string, string> { ["env"] = "dev" }));

        Assert.Empty(_pattern.Detect(state));
    }

    [Fact]
    public void A_container_inherits_env_prod_from_the_account_tags()
    {
        var state = Samples.Account(null, Samples.Container(metadata: new Dictionary<string, string>())) with
        {
            AccountTags = new Dictionary<string, string> { ["Env"] = "Prod" },
        };

        Assert.Single(_pattern.Detect(state));
    }

    [Fact]
    public void Plans_the_same_az_command_byte_for_byte_and_predicts_no_public_access()
    {
        var finding = _pattern.Detect(Samples.Account(null, Samples.Container()))[0];

        var plan = _pattern.PlanFix(finding);

        Assert.Equal(
            "az storage container set-permission \\\n  --account-name acmeprod \\\n  --name customer-exports \\\n  --public-access off",
            plan.Command);
        Assert.Equal(new SetContainerPublicAccess(finding.Asset, PublicAccessLevel.None), plan.Operation);
        Assert.Equal([new FieldValue("publicAccess", "none")], plan.Predicted.Fields);
        Assert.Equal(plan.Command, _pattern.PlanFix(finding).Command);
    }

    [Fact]
    public void Verification_names_the_field_that_did_not_change()
    {
        var finding = _pattern.Detect(Samples.Account(null, Samples.Container()))[0];
        var plan = _pattern.PlanFix(finding);

        var verification = _pattern.Verify(plan.Predicted, Samples.Container());

        Assert.False(verification.Matches);
        Assert.Equal(["publicAccess: expected 'none', observed 'blob'"], verification.Mismatches);
        Assert.True(_pattern.Verify(plan.Predicted, Samples.Container(access: PublicAccessLevel.None)).Matches);
    }

    [Fact]
    public void Declares_an_inverse_that_restores_the_backed_up_access_level()
    {
        var backup = Samples.Container(access: PublicAccessLevel.Blob);
        var plan = _pattern.PlanFix(_pattern.Detect(Samples.Account(null, backup))[0]);

        var inverse = Assert.IsType<InversePlan>(_pattern.Inverse(plan, backup));

        Assert.True(_pattern.IsReversible);
        Assert.Equal(new SetContainerPublicAccess(backup.Id, PublicAccessLevel.Blob), inverse.Operation);
        Assert.EndsWith("--public-access blob", inverse.Command, StringComparison.Ordinal);
        Assert.Equal([new FieldValue("publicAccess", "blob")], inverse.Predicted.Fields);
    }
}
