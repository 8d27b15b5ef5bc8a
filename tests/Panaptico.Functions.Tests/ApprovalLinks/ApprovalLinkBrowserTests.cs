using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Core.Identity;
using Panaptico.Storage.Account;
using Panaptico.Storage.Notifications;
using Panaptico.Testing;
using PuppeteerSharp;
using Xunit.Abstractions;

namespace Panaptico.Functions.Tests.ApprovalLinks;

/// <summary>
/// The signed approval link in a real browser (Debian's Chromium, headless): the app serves on a loopback port, the scan
/// opens the walkthrough's change (a public production container), and the link from its approval request is opened,
/// confirmed, reused and let expire. Screenshots are kept under the test output's artifacts/approval-link.
/// </summary>
public sealed class ApprovalLinkBrowserTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_routed_approver_confirms_on_the_page_the_change_is_approved_and_runs_and_the_link_then_refuses()
    {
        await using var world = await LinkWorld.StartAsync();
        var (id, link) = await world.PendingChangeAsync("exports");
        await using var browser = await HeadlessChromium.LaunchAsync();
        await using var page = await browser.NewPageAsync();

        var opened = await page.GoToAsync(world.Url(link).ToString());
        Assert.Equal(HttpStatusCode.OK, opened.Status);
        Assert.Equal(id, await Text(page, "#change"));
        Assert.Contains("az storage container set-permission", await Text(page, "#command"), StringComparison.Ordinal);
        Assert.Equal("Approve", await Text(page, "#approve button"));
        await page.ScreenshotAsync(Artifact("confirm-page.png"), new ScreenshotOptions { FullPage = true });

        var navigation = page.WaitForNavigationAsync();
        await page.ClickAsync("#approve button");
        var decided = await navigation;
        Assert.Equal(HttpStatusCode.Accepted, decided.Status);
        Assert.Equal("Approved — recorded", await Text(page, "#outcome"));
        await page.ScreenshotAsync(Artifact("recorded-page.png"));

        var change = await world.ChangeReachingAsync(id, "closed");
        Assert.Equal("nina.ramirez", (string?)change["closeOut"]!["approver"]);
        Assert.Equal("approved with the signed approval link", (string?)change["approvalGate"]!["seats"]![0]!["rationale"]);
        var version = (int)change["version"]!;

        var again = await page.GoToAsync(world.Url(link).ToString());
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("Approval link already used", await Text(page, "#refused"));
        Assert.Contains("already used", await Text(page, "#detail"), StringComparison.Ordinal);
        await page.ScreenshotAsync(Artifact("reused-link-page.png"));
        var replay = await world.PostFormAsync(id, link, "deny", "changed my mind");
        Assert.Equal((HttpStatusCode.Conflict, "conflict"), (replay.StatusCode, replay.Code));
        Assert.Equal(version, (int)(await world.ChangeAsync(id))["version"]!);
    }

    [Fact]
    public async Task An_expired_link_is_refused_on_the_page_and_to_a_client_and_changes_nothing()
    {
        await using var world = await LinkWorld.StartAsync(new() { ["ApprovalLinks:Expiry"] = "00:00:03" });
        var (id, link) = await world.PendingChangeAsync("ledgers");
        var before = (int)(await world.ChangeAsync(id))["version"]!;

        using (var deadline = new CancellationTokenSource(Patience))
        {
            while ((await world.GetPageAsync(link)) != HttpStatusCode.Gone)
            {
                await Task.Delay(250, deadline.Token);
            }
        }
        await using var browser = await HeadlessChromium.LaunchAsync();
        await using var page = await browser.NewPageAsync();
        var opened = await page.GoToAsync(world.Url(link).ToString());
        var refused = await world.PostFormAsync(id, link, "approve", "");

        Assert.Equal(HttpStatusCode.Gone, opened.Status);
        Assert.Equal("Approval link expired", await Text(page, "#refused"));
        Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.forms.length"));
        await page.ScreenshotAsync(Artifact("expired-link-page.png"));
        Assert.Equal((HttpStatusCode.Gone, "expired"), (refused.StatusCode, refused.Code));
        var after = await world.ChangeAsync(id);
        Assert.Equal(("approval", before), ((string?)after["stage"], (int)after["version"]!));
    }

    [Fact]
    public async Task Two_posts_of_one_link_at_once_decide_once()
    {
        await using var world = await LinkWorld.StartAsync();
        var (id, link) = await world.PendingChangeAsync("reports");

        var answers = await Task.WhenAll(
            world.PostFormAsync(id, link, "deny", "Conflicts with the freeze"),
            world.PostFormAsync(id, link, "deny", "Conflicts with the freeze"));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Conflict], answers.Select(a => a.StatusCode).Order());
        Assert.Equal("conflict", answers.Single(a => a.StatusCode == HttpStatusCode.Conflict).Code);
        var change = await world.ChangeReachingAsync(id, "wont-fix");
        Assert.Equal("denied: Conflicts with the freeze", (string?)change["outcome"]);
        Assert.Single(change["history"]!.AsArray(), h => (string?)h!["event"] == "change.denied");
    }

    [Fact]
    public async Task A_link_whose_signature_does_not_verify_is_refused()
    {
        await using var world = await LinkWorld.StartAsync();
        var (id, link) = await world.PendingChangeAsync("payroll");
        var tampered = link[..^4] + (link[^4..] == "AAAA" ? "BBBB" : "AAAA");

        var refused = await world.PostFormAsync(id, tampered, "approve", "");

        Assert.Equal((HttpStatusCode.Forbidden, "forbidden"), (refused.StatusCode, refused.Code));
        Assert.Equal("approval", (string?)(await world.ChangeAsync(id))["stage"]);
    }

    private static async Task<string> Text(IPage page, string selector) =>
        (await page.EvaluateFunctionAsync<string>("s => document.querySelector(s)?.innerText ?? ''", selector)).Trim();

    private string Artifact(string name)
    {
        var folder = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts", "approval-link")).FullName;
        var path = Path.Combine(folder, name);
        output.WriteLine($"screenshot: {path}");
        return path;
    }

    /// <summary>The app on a loopback port, scanning containers of its own prefix every second.</summary>
    private sealed class LinkWorld : IAsyncDisposable
    {
        private readonly string _prefix = TestStorage.UniqueName("al")[..12];
        private readonly HashSet<string> _seen = [];
        private TestFunctionApp _app = null!;
        private HttpClient _http = null!;

        public static async Task<LinkWorld> StartAsync(Dictionary<string, string?>? settings = null)
        {
            var world = new LinkWorld();
            var all = new Dictionary<string, string?>
            {
                ["ViolationScanSchedule"] = "* * * * * *",
                ["Remediation:Accounts:0:ContainerPrefix"] = world._prefix,
                ["Remediation:Accounts:0:IncludeBlobService"] = "false",
                ["Logging:LogLevel:Default"] = "Warning",
            };
            foreach (var (key, value) in settings ?? [])
            {
                all[key] = value;
            }
            world._app = await TestFunctionApp.StartAsync(all, listen: true);
            world._http = new HttpClient { BaseAddress = new Uri(world._app.App.Urls.First()) };
            world._http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
                world._app.Issuer.Issue("u-auditor", "auditor", [Role.Auditor]));
            return world;
        }

        public Uri Url(string path) => new(_http.BaseAddress!, path);

        /// <summary>A public production container, the change the scan opens for it, and nina.ramirez's link from its approval request.</summary>
        public async Task<(string ChangeId, string LinkPath)> PendingChangeAsync(string name)
        {
            var storage = _app.Services.GetRequiredService<StorageAccount>();
            await storage.Blobs.GetBlobContainerClient($"{_prefix}-{name}").CreateAsync(PublicAccessType.Blob,
                new Dictionary<string, string> { ["env"] = "prod", ["owner"] = "platform-security" });
            var outbox = _app.Services.GetRequiredService<OutboxNotifier>();
            using var deadline = new CancellationTokenSource(Patience);
            while (true)
            {
                var request = (await outbox.PendingAsync(deadline.Token)).FirstOrDefault(n =>
                    n.Kind == "approval.requested" && n.Data?["approvalLinks"] is JsonArray
                    && (string?)n.Data["subject"] is { } subject && subject.StartsWith("CHG-", StringComparison.Ordinal)
                    && !_seen.Contains(subject));
                if (request is not null)
                {
                    var subject = (string)request.Data!["subject"]!;
                    _seen.Add(subject);
                    var link = request.Data["approvalLinks"]!.AsArray().First(l => (string?)l!["approver"] == "nina.ramirez")!;
                    return (subject, (string)link["path"]!);
                }
                await Task.Delay(200, deadline.Token);
            }
        }

        public async Task<JsonObject> ChangeAsync(string id) =>
            JsonNode.Parse(await _http.GetStringAsync(new Uri($"/api/changes/{id}", UriKind.Relative)))!.AsObject();

        public async Task<JsonObject> ChangeReachingAsync(string id, string stage)
        {
            using var deadline = new CancellationTokenSource(Patience);
            while (true)
            {
                var change = await ChangeAsync(id);
                if ((string?)change["stage"] == stage)
                {
                    return change;
                }
                await Task.Delay(200, deadline.Token);
            }
        }

        /// <summary>GET of the link as a browser asks for it (HTML); the status.</summary>
        public async Task<HttpStatusCode> GetPageAsync(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            request.Headers.Accept.ParseAdd("text/html");
            using var response = await _http.SendAsync(request);
            return response.StatusCode;
        }

        /// <summary>The form's POST from a client that is not a browser: the API's answer and its problem code.</summary>
        public async Task<(HttpStatusCode StatusCode, string? Code)> PostFormAsync(string changeId, string path, string decision, string text)
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["decision"] = decision,
                [decision == "approve" ? "rationale" : "reason"] = text,
                ["contextPackSha256"] = (string)(await ChangeAsync(changeId))["approvalGate"]!["contextPackSha256"]!,
            });
            using var response = await _http.PostAsync(new Uri(path, UriKind.Relative), form);
            var body = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, response.Content.Headers.ContentType?.MediaType == "application/problem+json" ? (string?)JsonNode.Parse(body)!["code"] : null);
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await _app.DisposeAsync();
        }
    }
}
