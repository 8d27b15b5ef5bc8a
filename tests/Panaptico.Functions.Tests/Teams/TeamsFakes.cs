using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Panaptico.Connectors.Graph;
using Panaptico.Functions.Teams;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Panaptico.Functions.Tests.Teams;

/// <summary>
/// The peers a Teams bot talks to, as WireMock.Net fakes speaking their documented shapes: the Bot Framework's OpenID
/// metadata and JWKS (a test RSA key endorsed for <c>msteams</c>), the token endpoint, the Bot Connector and Microsoft
/// Graph. Each keeps what we sent, for the tests to check URL, auth header and body.
/// </summary>
public sealed class TeamsFakes : IDisposable
{
    public const string BotAppId = "a1b2c3d4-0000-4000-8000-00000000b07a";
    public const string ClientSecret = "bot-secret-never-logged";
    public const string TenantId = "7e1a0000-0000-4000-8000-000000000001";
    public const string BotToken = "bot-connector-token";
    public const string AuditConversation = "19:audit@thread.tacv2";
    public const string KeyId = "bf-key-1";

    private readonly RSA _key = RSA.Create(2048);
    private readonly RSA _stranger = RSA.Create(2048);

    public TeamsFakes()
    {
        BotFramework = WireMockServer.Start();
        Login = WireMockServer.Start();
        Connector = WireMockServer.Start();
        Graph = WireMockServer.Start();

        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.ExportParameters(false)) { KeyId = KeyId });
        var unendorsed = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_stranger.ExportParameters(false)) { KeyId = "bf-key-web" });
        BotFramework.Given(Request.Create().WithPath("/v1/.well-known/openidconfiguration").UsingGet())
            .RespondWith(Json(new JsonObject
            {
                ["issuer"] = BotTokenValidator.Issuer,
                ["authorization_endpoint"] = "https://invalid.botframework.com",
                ["jwks_uri"] = $"{BotFramework.Url}/v1/keys",
                ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
                ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
            }));
        BotFramework.Given(Request.Create().WithPath("/v1/keys").UsingGet())
            .RespondWith(Json(new JsonObject
            {
                ["keys"] = new JsonArray(Jwk(jwk, ["msteams", "skype"]), Jwk(unendorsed, ["webchat"])),
            }));

        Login.Given(Request.Create().WithPath($"/{TenantId}/oauth2/v2.0/token").UsingPost())
            .RespondWith(Response.Create().WithBodyAsJson(new { token_type = "Bearer", expires_in = 3600, access_token = BotToken }));
        ConnectorAnswers();
        Graph.Given(Request.Create().WithPath("/v1.0/users/*/teamwork/sendActivityNotification").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(204));
    }

    public WireMockServer BotFramework { get; }
    public WireMockServer Login { get; }
    public WireMockServer Connector { get; }
    public WireMockServer Graph { get; }

    public Uri ServiceUrl => new($"{Connector.Url}/");

    /// <summary>The app's Graph settings pointed at the Graph fake.</summary>
    public GraphOptions GraphOptions => new() { BaseUrl = new Uri($"{Graph.Url}/v1.0") };

    public TeamsOptions Options(Dictionary<string, string>? roleGroups = null) => new()
    {
        BotAppId = BotAppId,
        TenantId = TenantId,
        BotClientSecret = ClientSecret,
        OpenIdMetadataUrl = new Uri($"{BotFramework.Url}/v1/.well-known/openidconfiguration"),
        LoginBaseUrl = new Uri($"{Login.Url}/"),
        ServiceUrl = ServiceUrl,
        AuditConversationId = AuditConversation,
        RoleGroups = roleGroups ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase),
    };

    /// <summary>The Bot Connector answers: a personal conversation per member, an activity id per post, and updates.</summary>
    public void ConnectorAnswers()
    {
        Connector.Reset();
        Connector.Given(Request.Create().WithPath("/v3/conversations").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBody("""{"id":"a:1x-personal-{{JsonPath.SelectToken request.body "$.members[0].id"}}"}""")
                .WithHeader("Content-Type", "application/json").WithTransformer());
        Connector.Given(Request.Create().WithPath("/v3/conversations/*/activities").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBody("""{"id":"act-{{request.PathSegments.[2]}}"}""")
                .WithHeader("Content-Type", "application/json").WithTransformer());
        Connector.Given(Request.Create().WithPath("/v3/conversations/*/activities/*").UsingPut())
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new { id = "updated" }));
    }

    /// <summary>The Bot Connector fails every call with 500 (the token endpoint still answers).</summary>
    public void ConnectorFails()
    {
        Connector.Reset();
        Connector.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(500));
    }

    /// <summary>A person in the fake directory.</summary>
    public void User(string id, string displayName, string? managerId = null)
    {
        Graph.Given(Request.Create().WithPath($"/v1.0/users/{id}").UsingGet())
            .RespondWith(Json(new JsonObject
            {
                ["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
                ["id"] = id,
                ["displayName"] = displayName,
                ["userPrincipalName"] = $"{displayName.Replace(' ', '.').ToLowerInvariant()}@acme.example",
            }));
        if (managerId is not null)
        {
            Graph.Given(Request.Create().WithPath($"/v1.0/users/{id}/manager").UsingGet())
                .RespondWith(Json(new JsonObject
                {
                    ["@odata.type"] = "#microsoft.graph.user",
                    ["id"] = managerId,
                    ["displayName"] = "Manager of " + displayName,
                }));
        }
    }

    /// <summary>A group in the fake directory, its members served in pages of two (with <c>@odata.nextLink</c>).</summary>
    public void Group(string id, params string[] members)
    {
        var pages = members.Chunk(2).ToList();
        for (var i = 0; i < Math.Max(1, pages.Count); i++)
        {
            var page = new JsonObject
            {
                ["value"] = new JsonArray([.. (pages.Count == 0 ? [] : pages[i]).Select(m => (JsonNode)new JsonObject { ["@odata.type"] = "#microsoft.graph.user", ["id"] = m })]),
            };
            if (i + 1 < pages.Count)
            {
                page["@odata.nextLink"] = $"{Graph.Url}/v1.0/groups/{id}/members?$skiptoken=page{i + 1}";
            }
            var request = Request.Create().WithPath($"/v1.0/groups/{id}/members").UsingGet();
            // The first page answers any request without a skip token (lower priority numbers win in WireMock).
            Graph.Given(i == 0 ? request : request.WithParam("$skiptoken", $"page{i}")).AtPriority(i == 0 ? 10 : 1).RespondWith(Json(page));
        }
    }

    /// <summary>A Bot Framework token as the Bot Framework signs it, with each property a test may spoil.</summary>
    public string Token(
        string? audience = null, string issuer = BotTokenValidator.Issuer, string? serviceUrl = null, TimeSpan? expiresIn = null,
        bool unknownKey = false, bool unendorsedKey = false)
    {
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(30));
        var (key, kid) = unknownKey ? (RSA.Create(2048), "unlisted-key") : unendorsedKey ? (_stranger, "bf-key-web") : (_key, KeyId);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience ?? BotAppId,
            IssuedAt = expires.AddHours(-1),
            NotBefore = expires.AddHours(-1),
            Expires = expires,
            Claims = new Dictionary<string, object> { ["serviceUrl"] = serviceUrl ?? InvokeServiceUrl },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.RsaSha256),
        });
    }

    public const string InvokeServiceUrl = "https://smba.trafficmanager.net/amer/";

    /// <summary>An <c>adaptiveCard/action</c> invoke as Teams sends it when someone taps a card's button.</summary>
    public static JsonObject Invoke(string verb, string aadObjectId, JsonObject data, string trigger = "manual", string serviceUrl = InvokeServiceUrl) => new()
    {
        ["type"] = "invoke",
        ["name"] = "adaptiveCard/action",
        ["channelId"] = "msteams",
        ["serviceUrl"] = serviceUrl,
        ["from"] = new JsonObject { ["id"] = "29:1" + aadObjectId, ["aadObjectId"] = aadObjectId },
        ["conversation"] = new JsonObject { ["id"] = "a:1x", ["conversationType"] = "personal", ["tenantId"] = TenantId },
        ["replyToId"] = "1767765488332",
        ["value"] = new JsonObject
        {
            ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = verb, ["data"] = data },
            ["trigger"] = trigger,
        },
    };

    public static IReadOnlyList<ILogEntry> Requests(WireMockServer server, string method, string pathContains) =>
        [.. server.LogEntries.Where(e => e.RequestMessage.Method == method && e.RequestMessage.Path.Contains(pathContains, StringComparison.Ordinal))];

    public void Dispose()
    {
        BotFramework.Stop();
        Login.Stop();
        Connector.Stop();
        Graph.Stop();
        _key.Dispose();
        _stranger.Dispose();
    }

    private static IResponseBuilder Json(JsonObject body) =>
        Response.Create().WithBody(body.ToJsonString()).WithHeader("Content-Type", "application/json");

    private static JsonObject Jwk(JsonWebKey key, string[] endorsements) => new()
    {
        ["kty"] = "RSA",
        ["use"] = "sig",
        ["kid"] = key.Kid,
        ["n"] = key.N,
        ["e"] = key.E,
        ["endorsements"] = new JsonArray([.. endorsements.Select(e => (JsonNode)JsonValue.Create(e))]),
    };
}
