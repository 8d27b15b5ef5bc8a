using System.Text.Json;
using System.Text.Json.Nodes;
using Panaptico.Testing;
using PuppeteerSharp;
using Xunit.Abstractions;

namespace Panaptico.Core.Tests.Teams;

/// <summary>
/// The cards as a client reads them: the official <c>adaptivecards</c> npm package parses, validates and renders every
/// card we produce (tests/cards/validate-cards.mjs under node), and headless Chromium renders the approval card and the
/// close-out with the same library, kept as PNGs beside the test assembly (artifacts/cards).
/// </summary>
public class CardChecksTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_card_we_produce_parses_validates_and_renders_with_the_adaptivecards_package_without_an_event()
    {
        var cards = CardCatalog.All();
        var folder = CardCatalog.Write(cards);
        var files = cards.Select(c => Path.Combine(folder, c.Name + ".json")).ToList();

        var run = await NodeScript.RunAsync(Path.Combine("tests", "cards", "validate-cards.mjs"), files, TimeSpan.FromMinutes(2));

        output.WriteLine(run.Output);
        var results = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(files, results.Select(r => (string?)r["file"]));
        Assert.All(results, r => Assert.True(r["events"]!.AsArray().Count == 0, $"{r["file"]}: {r["events"]!.ToJsonString()}"));
        Assert.True(run.ExitCode == 0, run.Errors);
    }

    [Fact]
    public async Task The_card_check_reports_what_Teams_would_refuse()
    {
        var folder = CardCatalog.ArtifactsFolder;
        var bad = Path.Combine(folder, "bad.json");
        await File.WriteAllTextAsync(bad, """
            {"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"x","wrapp":true},
              {"type":"Input.Text","id":"reason","isRequired":true}],
             "actions":[{"type":"Action.Exec","title":"Approve"}]}
            """);

        var run = await NodeScript.RunAsync(Path.Combine("tests", "cards", "validate-cards.mjs"), [bad], TimeSpan.FromMinutes(2));

        var events = JsonNode.Parse(run.Output)!["events"]!.AsArray().Select(e => (string?)e!["event"]).ToList();
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("UnknownActionType", events);
        Assert.Contains("RequiredInputsShouldHaveLabel", events);
        Assert.Contains("RequiredInputsShouldHaveErrorMessage", events);
        Assert.Contains("UnknownProperty", events);
    }

    [Fact]
    public async Task The_approval_card_renders_in_headless_Chromium_with_its_Approve_action_and_the_ticket_id()
    {
        var (name, card) = CardCatalog.All().First(c => c.Name == "change-approval");

        var rendered = await RenderAsync(name, card);

        Assert.Contains(CardSamples.ChangeId.ToString(), rendered.Text, StringComparison.Ordinal);
        Assert.Contains("az storage container set-permission", rendered.Text, StringComparison.Ordinal);
        Assert.Equal(["Approve", "Deny…"], rendered.Buttons);
        Assert.True(new FileInfo(rendered.Png).Length > 10_000, $"{rendered.Png} is nearly empty");
    }

    [Fact]
    public async Task The_close_out_renders_in_headless_Chromium()
    {
        var (name, card) = CardCatalog.All().First(c => c.Name == "close-out");

        var rendered = await RenderAsync(name, card);

        Assert.Contains($"{CardSamples.ChangeId} closed", rendered.Text, StringComparison.Ordinal);
        Assert.Contains("available until 2026-05-15", rendered.Text, StringComparison.Ordinal);
        Assert.Empty(rendered.Buttons);
        Assert.True(new FileInfo(rendered.Png).Length > 5_000, $"{rendered.Png} is nearly empty");
    }

    private sealed record Rendered(string Text, string[] Buttons, string Png);

    /// <summary>Renders <paramref name="card"/> with the adaptivecards library in a page of headless Chromium; screenshots it.</summary>
    private async Task<Rendered> RenderAsync(string name, JsonObject card)
    {
        var library = await File.ReadAllTextAsync(Repository.PathOf("node_modules", "adaptivecards", "dist", "adaptivecards.min.js"));
        var styles = await File.ReadAllTextAsync(Repository.PathOf("node_modules", "adaptivecards", "dist", "adaptivecards.css"));
        await using var browser = await HeadlessChromium.LaunchAsync();
        await using var page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 480, Height = 900, DeviceScaleFactor = 2 });
        await page.SetContentAsync($$"""
            <!doctype html><html><head><meta charset="utf-8">
            <style>{{styles}}</style>
            <style>body { margin: 0; background: #f5f5f5; font-family: "Segoe UI", "DejaVu Sans", sans-serif; }
            #card { width: 440px; margin: 20px; background: #fff; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.2); }</style>
            <script>{{library}}</script></head><body><div id="card"></div></body></html>
            """);
        var error = await page.EvaluateFunctionAsync<string?>("""
            (json) => {
              try {
                const card = new AdaptiveCards.AdaptiveCard();
                card.parse(json);
                document.getElementById("card").appendChild(card.render());
                return null;
              } catch (e) { return String(e && e.stack || e); }
            }
            """, JsonDocument.Parse(card.ToJsonString()).RootElement);
        Assert.Null(error);
        var text = await page.EvaluateExpressionAsync<string>("document.getElementById('card').innerText");
        var buttons = await page.EvaluateExpressionAsync<string[]>(
            "[...document.querySelectorAll('#card button')].filter(b => b.offsetParent !== null).map(b => (b.innerText || b.getAttribute('aria-label') || '').trim())");
        var png = Path.Combine(CardCatalog.ArtifactsFolder, name + ".png");
        await (await page.QuerySelectorAsync("#card")).ScreenshotAsync(png);
        output.WriteLine($"rendered {name}: {png}");
        return new Rendered(text, buttons, png);
    }
}
