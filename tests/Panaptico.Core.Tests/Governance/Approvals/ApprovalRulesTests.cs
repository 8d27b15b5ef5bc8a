using Panaptico.Core.Governance.Approvals;

namespace Panaptico.Core.Tests.Governance.Approvals;

public sealed class ApprovalRulesTests
{
    [Fact]
    public void The_sample_rules_file_parses_into_versioned_rules()
    {
        var rules = Sample.Rules;

        Assert.Equal("2026.04.2", rules.Version);
        Assert.Equal(["domain-cost-owner", "kms-policy-controls", "wide-blast-radius"], rules.Rules.Select(r => r.Id));
        Assert.Equal((SeatKind.Ratification, 2, TimeSpan.FromDays(2)), (rules.Rules[2].Kind, rules.Rules[2].OpensAfterSignatures, rules.Rules[2].ExpiresAfter));
        Assert.Equal<string>(["malvarez", "jchen"], rules.Groups["security-engineering"].Members);
    }

    [Fact]
    public void Inconsistent_rules_are_refused_with_every_problem_listed()
    {
        const string yaml = """
            principals:
              dpark: { name: D. Park }
            groups:
              council: { name: Council, members: [dpark, ghost] }
            rules:
              - id: a
                to: { group: nobody }
                expiresAfter: 3 days
              - id: a
                kind: ratification
                to: { principal: dpark, group: council }
                because: twice
                expiresAfter: PT1H
            """;

        var error = Assert.Throws<ApprovalRulesException>(() => ApprovalRules.Parse(yaml));

        Assert.Equal(
        [
            "version is required",
            "group 'council': member 'ghost' is not declared under principals",
            "a: 'because' is required, it is what the approver reads",
            "a.to: group 'nobody' is not declared under groups",
            "a.expiresAfter: '3 days' is not an ISO 8601 duration (e.g. PT24H, P3D)",
            "a: every rule needs a unique id",
            "a: a ratification seat needs opensAfterSignatures ≥ 1",
            "a.to: name exactly one of principal, group or ownerOf",
        ], error.Problems);
    }

    [Fact]
    public void Malformed_yaml_is_refused_with_its_line()
    {
        var error = Assert.Throws<ApprovalRulesException>(() => ApprovalRules.Parse("version: 1\nrules:\n  - id: x\n    unknownField: 2\n"));

        Assert.StartsWith("line 4, column 5:", error.Problems.Single(), StringComparison.Ordinal);
    }
}
