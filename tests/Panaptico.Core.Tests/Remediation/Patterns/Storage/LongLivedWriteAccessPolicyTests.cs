using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Patterns.Storage;

namespace Panaptico.Core.Tests.Remediation.Patterns.Storage;

public class LongLivedWriteAccessPolicyTests
{
    private static readonly DateTimeOffset Start = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly LongLivedWriteAccessPolicy _pattern = new();

    private static ContainerState WithPolicies() => Samples.Container(
        access: PublicAccessLevel.None,
        metadata: new Dictionary<string, string>(),
        policies:
        [
            new StoredAccessPolicy("upload", "wdr", Start, Samples.Detected.AddDays(400)),
            new StoredAccessPolicy("reader", "rl", Start, Samples.Detected.AddDays(400)),
            new StoredAccessPolicy("short", "rw", Start, Samples.Detected.AddDays(30)),
            new StoredAccessPolicy("open-ended", "d", null, null),
        ]);

    [Fact]
    public void Detects_write_or_delete_policies_expiring_beyond_90_days_or_never()
    {
        var finding = Assert.Single(_pattern.Detect(Samples.Account(null, WithPolicies())));

        Assert.Equal(["accessPolicy[upload]", "accessPolicy[open-ended]"], finding.Evidence.Select(e => e.Field));
        Assert.Equal("permissions=rwd; start=2026-04-01T00:00:00Z; expiry=2027-05-20T03:12:47Z", finding.Evidence[0].Observed);
        Assert.Equal("write/delete expiring by 2026-07-14T03:12:47Z", finding.Evidence[0].Requirement);
    }

    [Fact]
    public void Fix_removes_only_the_offending_policies_and_renders_their_deletion()
    {
        var plan = _pattern.PlanFix(_pattern.Detect(Samples.Account(null, WithPolicies()))[0]);

        Assert.Equal(["reader", "short"], Assert.IsType<SetContainerAccessPolicies>(plan.Operation).Policies.Select(p => p.Id));
        Assert.Equal(
            "az storage container policy delete \\\n  --account-name acmeprod \\\n  --container-name customer-exports \\\n  --name upload\n" +
            "az storage container policy delete \\\n  --account-name acmeprod \\\n  --container-name customer-exports \\\n  --name open-ended",
            plan.Command);
        Assert.Equal(["accessPolicy[reader]", "accessPolicy[short]"], plan.Predicted.Fields.Select(f => f.Field));
    }

    [Fact]
    public void Declares_an_inverse_that_recreates_the_revoked_policies_exactly()
    {
        var backup = WithPolicies();
        var plan = _pattern.PlanFix(_pattern.Detect(Samples.Account(null, backup))[0]);

        var inverse = Assert.IsType<InversePlan>(_pattern.Inverse(plan, backup));

        Assert.Equal(backup.AccessPolicies, Assert.IsType<SetContainerAccessPolicies>(inverse.Operation).Policies);
        Assert.Equal(
            "az storage container policy create \\\n  --account-name acmeprod \\\n  --container-name customer-exports \\\n  --name upload \\\n  --permissions rwd \\\n  --start 2026-04-01T00:00:00Z \\\n  --expiry 2027-05-20T03:12:47Z\n" +
            "az storage container policy create \\\n  --account-name acmeprod \\\n  --container-name customer-exports \\\n  --name open-ended \\\n  --permissions d",
            inverse.Command);
    }

    [Fact]
    public void Permissions_are_kept_in_the_service_order_so_read_backs_compare_equal()
    {
        Assert.Equal("racwdl", new StoredAccessPolicy("p", "dlrwca", null, null).Permissions);
    }
}
