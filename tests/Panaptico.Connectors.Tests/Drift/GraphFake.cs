using System.Collections.Immutable;
using Azure.Core;
using Microsoft.Graph;
using Panaptico.Connectors.Drift.Entra;
using Panaptico.Connectors.Graph;
using Panaptico.Core.Drift;
using WireMock.Logging;
using WireMock.Server;
using Request = WireMock.RequestBuilders.Request;
using Response = WireMock.ResponseBuilders.Response;

namespace Panaptico.Connectors.Tests.Drift;

/// <summary>
/// Microsoft Graph v1.0 faked over real HTTP on loopback: it serves Graph's own JSON (<c>@odata.context</c>,
/// <c>@odata.nextLink</c>) only to requests carrying the fake credential's bearer token, and keeps every request for
/// the tests to check.
/// </summary>
internal sealed class GraphFake : IDisposable
{
    public const string Token = "fake-graph-token";
    public const string Scope = "https://graph.microsoft.com/.default";

    public GraphFake()
    {
        Server = WireMockServer.Start();
        Credential = new FakeTokenCredential(Token);
        Client = GraphSetup.CreateClient(Credential, new GraphOptions { BaseUrl = new Uri(BaseUrl), Scope = Scope });
    }

    public WireMockServer Server { get; }

    public FakeTokenCredential Credential { get; }

    public GraphServiceClient Client { get; }

    public string BaseUrl => $"{Server.Url}/v1.0";

    /// <summary>Answers GET <paramref name="path"/> (with <paramref name="skipToken"/>: only that page) with Graph JSON.</summary>
    public void Get(string path, string json, string? skipToken = null)
    {
        var request = Request.Create().WithPath("/v1.0" + path).UsingGet().WithHeader("Authorization", $"Bearer {Token}");
        request = skipToken is null ? request.WithParam("$skiptoken", matchBehaviour: WireMock.Matchers.MatchBehaviour.RejectOnMatch) : request.WithParam("$skiptoken", skipToken);
        Server.Given(request).RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(json));
    }

    public void Patch(string path) =>
        Server.Given(Request.Create().WithPath("/v1.0" + path).UsingPatch().WithHeader("Authorization", $"Bearer {Token}"))
            .RespondWith(Response.Create().WithStatusCode(204));

    /// <summary>The URL after <c>/v1.0</c>, unescaped (Kiota sends <c>%24select</c>), of every request received.</summary>
    public IReadOnlyList<string> Requests => [.. Server.LogEntries.Select(e => Unescaped(e.RequestMessage.Url))];

    public IEnumerable<ILogEntry> Log => Server.LogEntries;

    public string NextLink(string path, string skipToken, string query = "") => $"{BaseUrl}{path}?{query}$skiptoken={skipToken}";

    public static GraphObject Object(string kind, string entraId) =>
        new($"entra/{kind}/{entraId[..4]}", kind, "entra", EntraDriftConnector.ConnectorKind, "tenant", new ObjectOwner("identity", "identity-oncall", "a.chen"))
        {
            Aliases = ImmutableArray.Create(entraId),
        };

    public void Dispose() => Server.Stop();

    private string Unescaped(string url) => Uri.UnescapeDataString(url[(Server.Url!.Length + "/v1.0".Length)..]);
}

internal sealed class FakeTokenCredential(string token) : TokenCredential
{
    public List<string> ScopesRequested { get; } = [];

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        lock (ScopesRequested)
        {
            ScopesRequested.AddRange(requestContext.Scopes);
        }
        return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
