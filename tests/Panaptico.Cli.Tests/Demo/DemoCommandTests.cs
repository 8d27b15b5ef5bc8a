using Panaptico.Cli.Demo;

namespace Panaptico.Cli.Tests.Demo;

/// <summary>
/// The README's first command, run as it runs there (its own Azurite, the app standalone), so the walkthrough and its
/// drift section cannot rot unseen.
/// </summary>
public sealed class DemoCommandTests
{
    [Fact]
    public async Task The_demo_walks_a_change_to_close_out_and_then_shows_drift_attributed_classified_and_acted_on()
    {
        using var output = new StringWriter();
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(4));

        var exit = await DemoCommand.RunAsync(null, output, patience.Token);

        var text = output.ToString();
        Assert.True(exit == 0, text);
        Assert.Contains("06 · Alert", text, StringComparison.Ordinal);
        // The walkthrough's close-out is the reason of record of the field it fixed.
        Assert.Matches(@"reason of record: change-record CHG-\d{4}-\d{4}-\d{3} \(closed remediation: remove public access\)", text);
        // Before the settle window: two attributed, one pending; after it: the third is unknown source and critical.
        Assert.Contains("fields checked 6 · drifted 2 · attributed 2 · unknown source 0 · pending 1", text, StringComparison.Ordinal);
        Assert.Contains("fields checked 6 · drifted 3 · attributed 2 · unknown source 1 · pending 0", text, StringComparison.Ordinal);
        Assert.Contains("1 critical · 0 reapproval · 1 notable · 1 expected", text, StringComparison.Ordinal);
        Assert.Contains("Attributed to john@contoso.com · activity-log", text, StringComparison.Ordinal);
        Assert.Contains("Attributed to Terraform run run-SFSeL9fg6Kibje8L · commit a4f2…e991 · sender j.tran · linked to CHG-00604", text, StringComparison.Ordinal);
        Assert.Matches(@"acme-ledger-archive frozen: panaptico_frozen = \S+ critical drift DRIFT-", text);
        Assert.Contains("drift.page → oncall-finance", text, StringComparison.Ordinal);
        Assert.Contains("forensic bundle sealed: drift:DRIFT-", text, StringComparison.Ordinal);
        Assert.Contains("REPORTING_WH size re-baselined to X-Large", text, StringComparison.Ordinal);
        Assert.Contains("stopped cleanly", text, StringComparison.Ordinal);
    }
}
