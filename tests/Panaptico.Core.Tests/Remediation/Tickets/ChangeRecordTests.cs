using Panaptico.Core.Remediation.Patterns.Storage;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Core.Tests.Remediation.Tickets;

public class ChangeRecordTests
{
    private static readonly OwnerTaggingMap Owners = new(
        ["owner", "team"],
        new Dictionary<string, string> { ["platform-security"] = "platform-security@acme.com" },
        "cloud-owners@acme.com");

    [Fact]
    public void Renders_exactly_the_walkthrough_fields_and_nothing_else()
    {
        var pattern = new PublicContainerAccess();
        var finding = pattern.Detect(Samples.Account(null, Samples.Container()))[0];

        var ticket = ChangeRecord.Open(ChangeId.Parse("CHG-2026-0418-114"), pattern, finding, Owners);

        Assert.Equal(
            """
            CHG-2026-0418-114
            violation: CIS Azure 3.7 public container access on production
            asset: azure-blob://acmeprod/customer-exports
            framework: SOC 2 CC6.6 · ISO 27001 A.9.4.1 · HIPAA 164.312(a)(1) · PCI-DSS 7.2.1 · GDPR Art. 32(1)(b)
            severity: high
            owner: platform-security@acme.com
            detected: 2026-04-15 03:12:47 UTC
            """.ReplaceLineEndings("\n"),
            ticket.Render());
        Assert.Equal(
            ["id", "violation", "asset", "framework", "severity", "owner", "detected"],
            ticket.ToJson().Select(p => p.Key));
    }

    [Theory]
    [InlineData("owner", "nina@acme.com", "nina@acme.com", "tag owner")]
    [InlineData("team", "platform-security", "platform-security@acme.com", "tag team=platform-security")]
    [InlineData("team", "unknown-team", "cloud-owners@acme.com", "fallback")]
    [InlineData("cost-center", "42", "cloud-owners@acme.com", "fallback")]
    public void Infers_the_owner_from_the_tagging_map_with_a_fallback(string key, string value, string address, string source)
    {
        Assert.Equal(new OwnerInference(address, source), Owners.Infer(new Dictionary<string, string> { [key] = value }));
    }

    [Fact]
    public void The_owner_tag_wins_over_the_team_tag()
    {
        var tags = new Dictionary<string, string> { ["team"] = "platform-security", ["Owner"] = "nina@acme.com" };

        Assert.Equal("nina@acme.com", Owners.Infer(tags).Address);
    }
}
