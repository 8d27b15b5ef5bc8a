using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Identity;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Teams;
using Panaptico.Functions.Tests.Remediation;

namespace Panaptico.Functions.Tests.Teams;

/// <summary>
/// A remediation world (<see cref="ChainWorld"/>) whose bot and delivery talk to the Teams fakes: two people routed to a
/// production change's seat (the platform-security group, whose members the rules leave to the directory), a third who holds the approver role but is not routed, and
/// the bot endpoint under test.
/// </summary>
public sealed class TeamsWorld : IAsyncDisposable
{
    public const string Nina = "11111111-1111-4111-8111-111111111111";
    public const string Sam = "22222222-2222-4222-8222-222222222222";
    public const string Ravi = "33333333-3333-4333-8333-333333333333";
    public const string ApproversGroup = "a9900000-0000-4000-8000-0000000000a9";
    public const string PlatformSecurityGroup = "9e700000-0000-4000-8000-00000000c5ec";

    public static readonly ApprovalRules Rules = ApprovalRules.Parse($$"""
        version: "teams-test-1"
        groups:
          platform-security: { name: "Platform security", directoryGroup: "{{PlatformSecurityGroup}}" }
        rules:
          - id: platform-security-on-call
            to: { group: platform-security }
            because: "Production change in {domain}: platform security on-call"
            expiresAfter: PT1H
        """);

    private TeamsWorld(TeamsFakes fakes, ChainWorld chain, HttpClient http)
    {
        Fakes = fakes;
        Chain = chain;
        Http = http;
        // No governed tasks in this world: its taps are on changes only (task seats are tapped in TaskSeatTapTests).
        Bot = new BotFunctions(new BotTokenValidator(chain.Options.Teams, http), chain.Directory, chain.Decisions, chain.Changes, null!, TimeProvider.System);
    }

    public TeamsFakes Fakes { get; }
    public ChainWorld Chain { get; }
    public HttpClient Http { get; }
    public BotFunctions Bot { get; }

    public static async Task<TeamsWorld> StartAsync(Func<ChainWorldOptions, ChainWorldOptions>? options = null, bool connectorFails = false)
    {
        var fakes = new TeamsFakes();
        fakes.User(Nina, "Nina Ramirez", managerId: Sam);
        fakes.User(Sam, "Sam Kim");
        fakes.User(Ravi, "Ravi Shah");
        fakes.Group(ApproversGroup, Nina, Sam, Ravi);
        fakes.Group(PlatformSecurityGroup, Nina, Sam);
        if (connectorFails)
        {
            fakes.ConnectorFails();
        }
        var chainOptions = new ChainWorldOptions
        {
            Rules = Rules,
            Teams = fakes.Options(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [Role.Approver] = ApproversGroup }),
            Graph = fakes.GraphOptions,
        };
        var chain = await ChainWorld.StartAsync(options?.Invoke(chainOptions) ?? chainOptions);
        return new TeamsWorld(fakes, chain, new HttpClient());
    }

    /// <summary>A production container open to public read, scanned: the change waits for its routed seat.</summary>
    public async Task<ChangeId> PendingChangeAsync(string name)
    {
        var container = await Chain.CreateContainerAsync(name, production: true, PublicAccessType.Blob);
        await Chain.ScanAsync();
        var id = await Chain.OpenedOnAsync(Chain.Asset(container));
        await Chain.Reached(id, "change.approval-requested");
        return id;
    }

    public async Task<string> HashAsync(ChangeId id) => (await Chain.ViewAsync(id)).State.ApprovalGate!.ContextPackHash;

    /// <summary>Someone taps a card's button: the invoke Teams sends, with the Bot Framework's token (or a spoiled one).</summary>
    public Task<Answer> TapAsync(string verb, string aadObjectId, JsonObject data, string? token = null) =>
        Chain.CallAsync(r => Bot.MessagesAsync(r, Chain.Client, CancellationToken.None), "POST", null,
            TeamsFakes.Invoke(verb, aadObjectId, data).ToJsonString(),
            headers: new Dictionary<string, string> { ["Authorization"] = $"Bearer {token ?? Fakes.Token()}" });

    public async Task<Answer> ApproveTapAsync(ChangeId id, string aadObjectId, string? token = null) =>
        await TapAsync(BotFunctions.ApproveVerb, aadObjectId, new JsonObject { ["changeId"] = id.ToString(), ["contextPackSha256"] = await HashAsync(id) }, token);

    /// <summary>The card an invoke answered with; asserts the one response shape Teams accepts.</summary>
    public static JsonObject CardOf(Answer answer)
    {
        Assert.Equal(200, answer.Status);
        Assert.Equal(200, answer.Json!["statusCode"]!.GetValue<int>());
        Assert.Equal("application/vnd.microsoft.card.adaptive", answer.Json["type"]!.GetValue<string>());
        var card = answer.Json["value"]!.AsObject();
        Assert.Equal("AdaptiveCard", card["type"]!.GetValue<string>());
        return card;
    }

    public static string TextOf(JsonObject card) => card.ToJsonString();

    /// <summary>Polls until the condition holds (a deadline, no sleeping as synchronisation).</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + ChainWorld.Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Chain.DisposeAsync();
        Http.Dispose();
        Fakes.Dispose();
    }
}
