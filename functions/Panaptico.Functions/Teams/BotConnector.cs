using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Panaptico.Functions.Teams;

/// <summary>A Bot Connector or token endpoint answer we cannot use: the status only (the request carried a secret or a token).</summary>
public sealed class BotConnectorException(string message) : Exception(message);

/// <summary>
/// The bot's proactive side over the Bot Connector REST API (the Bot Framework SDK is not served here): a token by
/// client credentials, cached until a minute before it expires; a 1:1 conversation per person; cards sent and updated.
/// </summary>
public sealed class BotConnector(HttpClient http, TeamsOptions options, TimeProvider time) : IDisposable
{
    private const string Scope = "https://api.botframework.com/.default";

    private readonly SemaphoreSlim _tokenGate = new(1, 1);
    private (string Token, DateTimeOffset RenewAt)? _token;

    public void Dispose() => _tokenGate.Dispose();

    /// <summary>Opens (or finds: Teams answers the same one) the personal chat of the bot with one person (their Entra object id).</summary>
    public async Task<string> CreatePersonalConversationAsync(Uri serviceUrl, string memberId, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["bot"] = new JsonObject { ["id"] = options.BotAccountId },
            ["isGroup"] = false,
            ["members"] = new JsonArray(new JsonObject { ["id"] = memberId }),
            ["tenantId"] = options.TenantId,
        };
        var answer = await SendAsync(HttpMethod.Post, new Uri(serviceUrl, "v3/conversations"), body, cancellationToken);
        return answer?["id"]?.GetValue<string>() ?? throw new BotConnectorException("the Bot Connector created a conversation without an id");
    }

    /// <summary>Posts a card; the activity id it answers is what an update later replaces.</summary>
    public async Task<string> SendCardAsync(Uri serviceUrl, string conversationId, JsonObject card, CancellationToken cancellationToken)
    {
        var answer = await SendAsync(HttpMethod.Post, Activities(serviceUrl, conversationId), Message(card), cancellationToken);
        return answer?["id"]?.GetValue<string>() ?? throw new BotConnectorException("the Bot Connector posted an activity without an id");
    }

    /// <summary>Replaces a posted card for everyone in the conversation.</summary>
    public Task UpdateCardAsync(Uri serviceUrl, string conversationId, string activityId, JsonObject card, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, Activities(serviceUrl, conversationId, activityId), Message(card), cancellationToken);

    private static JsonObject Message(JsonObject card) => new()
    {
        ["type"] = "message",
        ["attachments"] = new JsonArray(new JsonObject
        {
            ["contentType"] = BotCards.ContentType,
            ["content"] = card.DeepClone(),
        }),
    };

    private static Uri Activities(Uri serviceUrl, string conversationId, string? activityId = null) =>
        new(serviceUrl, $"v3/conversations/{Uri.EscapeDataString(conversationId)}/activities"
            + (activityId is null ? "" : "/" + Uri.EscapeDataString(activityId)));

    private async Task<JsonNode?> SendAsync(HttpMethod method, Uri uri, JsonObject body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(cancellationToken));
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new BotConnectorException($"the Bot Connector answered {(int)response.StatusCode} to {method} {uri.AbsolutePath}");
        }
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    private async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        if (_token is { } cached && time.GetUtcNow() < cached.RenewAt)
        {
            return cached.Token;
        }
        await _tokenGate.WaitAsync(cancellationToken);
        try
        {
            if (_token is { } again && time.GetUtcNow() < again.RenewAt)
            {
                return again.Token;
            }
            if (string.IsNullOrEmpty(options.BotAppId) || string.IsNullOrEmpty(options.BotClientSecret))
            {
                throw new BotConnectorException("Teams:BotAppId and Teams:BotClientSecret are needed to post to Teams");
            }
            var tenant = string.IsNullOrWhiteSpace(options.TenantId) ? "botframework.com" : options.TenantId;
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = options.BotAppId,
                ["client_secret"] = options.BotClientSecret,
                ["scope"] = Scope,
            });
            using var response = await http.PostAsync(new Uri(options.LoginBaseUrl, $"{Uri.EscapeDataString(tenant)}/oauth2/v2.0/token"), form, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new BotConnectorException($"the token endpoint answered {(int)response.StatusCode}");
            }
            var json = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
            var token = json?["access_token"]?.GetValue<string>() ?? throw new BotConnectorException("the token endpoint answered no access_token");
            var lifetime = TimeSpan.FromSeconds(json["expires_in"]?.GetValue<int>() ?? 3600);
            // Renewed a minute early (or halfway, for a short-lived one) so no request leaves with a token about to lapse.
            var margin = lifetime > TimeSpan.FromMinutes(2) ? TimeSpan.FromMinutes(1) : lifetime / 2;
            _token = (token, time.GetUtcNow() + lifetime - margin);
            return token;
        }
        finally
        {
            _tokenGate.Release();
        }
    }
}
