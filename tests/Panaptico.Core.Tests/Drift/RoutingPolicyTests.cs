using Panaptico.Core.Drift;
using static Panaptico.Core.Tests.Drift.DriftSamples;

namespace Panaptico.Core.Tests.Drift;

public sealed class RoutingPolicyTests
{
    private static string Sample => File.ReadAllText(RepositoryFile("src", "Panaptico.Core", "Drift", "routing-policy.sample.yaml"));

    [Fact]
    public void The_sample_policy_loads_as_routing_policy_v14_with_its_rules_in_order()
    {
        var policy = RoutingPolicy.Parse(Sample);

        Assert.Equal("ROUTING-POLICY-v14", policy.Name);
        Assert.Equal(TimeSpan.FromDays(7), policy.ChangeRecordWithin);
        Assert.Equal(["contract-break", "no-source", "signed-decision", "vendor-or-sync", "scheduled-change", "inside-envelope", "attributed-unplanned"], policy.Rules.Select(r => r.Id));
        Assert.True(policy.Rules[^1].When.IsCatchAll);
        Assert.True(policy.Rules[0].Line > 0);
    }

    [Fact]
    public void A_policy_with_an_unknown_action_fails_naming_the_line()
    {
        var bad = Sample.Replace("actions: [route-approval]", "actions: [route-approval, escalate]");

        var e = Assert.Throws<DriftInputException>(() => RoutingPolicy.Parse(bad));

        Assert.Equal(DriftCodes.PolicyInvalid, e.Code);
        var line = Sample.Split('\n').ToList().FindIndex(l => l.Contains("actions: [route-approval]", StringComparison.Ordinal)) + 1;
        Assert.Equal([$"line {line} (rules[2].actions[1]): unknown action 'escalate' (known: rebaseline, governed-task, route-approval, freeze, page-on-call, forensic-bundle)"], e.Problems);
    }

    [Fact]
    public void A_policy_with_an_unknown_class_or_condition_fails_naming_each_line()
    {
        var bad = Sample.Replace("class: reapproval", "class: urgent").Replace("when: { envelope: inside }", "when: { envelop: inside }");

        var e = Assert.Throws<DriftInputException>(() => RoutingPolicy.Parse(bad));

        Assert.Contains(e.Problems, p => p.Contains("(rules[2].class): unknown class 'urgent'", StringComparison.Ordinal) && p.StartsWith("line ", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("(rules[5].when.envelop): unknown field 'envelop'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_policy_without_a_catch_all_or_a_version_fails()
    {
        var noVersion = Sample.Replace("version: 14\n", "");
        var noCatchAll = Sample[..Sample.IndexOf("  - id: attributed-unplanned", StringComparison.Ordinal)];

        Assert.Contains("version", Assert.Throws<DriftInputException>(() => RoutingPolicy.Parse(noVersion)).Problems[0], StringComparison.Ordinal);
        Assert.Contains("last rule must have no conditions", Assert.Throws<DriftInputException>(() => RoutingPolicy.Parse(noCatchAll)).Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Yaml_that_does_not_parse_names_line_and_column()
    {
        var e = Assert.Throws<DriftInputException>(() => RoutingPolicy.Parse("id: X\nrules: [\n  - id: a\n"));

        Assert.StartsWith("line ", e.Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_rule_that_holds_decides()
    {
        var policy = RoutingPolicy.Parse(Sample);
        var obj = Object("sp/x", ("f", Intent(1) with { Envelope = new Envelope(0, 5) }));
        var delta = new DriftDelta("sp/x", "f", obj.Fields["f"], 3, false, Comparator.Exact, EnvelopeVerdict.Inside, T0, null, "3");
        var person = new Attribution(AttributionStatus.Attributed) { Cause = CauseKind.Person, CauseId = "c", Actor = "a@b" };

        Assert.Equal("inside-envelope", policy.Route(obj, delta, person).Id);
        Assert.Equal("scheduled-change", policy.Route(obj, delta, person with { Cause = CauseKind.TerraformRun, LinkedChange = "CHG-1" }).Id);
        Assert.Equal("attributed-unplanned", policy.Route(obj, delta with { Envelope = EnvelopeVerdict.Outside }, person).Id);
        Assert.Equal("no-source", policy.Route(obj, delta, Attribution.UnknownSource([])).Id);
    }
}
