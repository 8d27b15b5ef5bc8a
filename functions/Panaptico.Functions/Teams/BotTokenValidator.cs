using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Panaptico.Functions.Teams;

/// <summary>What the check of an incoming Bot Framework token found: accepted, or the status (401/403) and why.</summary>
public sealed record BotTokenCheck(int Status, string Reason)
{
    public bool Accepted => Status == StatusCodes.Status200OK;
}

/// <summary>
/// Validates the JWT the Bot Framework sends with every activity: the OpenID metadata (<see cref="TeamsOptions.OpenIdMetadataUrl"/>)
/// names the JWKS, whose keys are cached by <see cref="ConfigurationManager{T}"/> and fetched again when a token names an
/// unknown key; issuer <c>https://api.botframework.com</c>, audience the bot's app id, lifetime with five minutes' skew,
/// RS256 by a listed key; then the <c>serviceUrl</c> claim must equal the activity's and the signing key's
/// <c>endorsements</c> must include the channel (<c>msteams</c>).
/// </summary>
public sealed class BotTokenValidator
{
    public const string Issuer = "https://api.botframework.com";
    public const string Channel = "msteams";

    private readonly TeamsOptions _options;
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _metadata;
    private readonly JsonWebTokenHandler _handler = new();

    public BotTokenValidator(TeamsOptions options, HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
            options.OpenIdMetadataUrl.ToString(),
            new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(http) { RequireHttps = options.OpenIdMetadataUrl.Scheme == Uri.UriSchemeHttps });
    }

    public async Task<BotTokenCheck> CheckAsync(string? authorization, string? activityServiceUrl, string? channelId, CancellationToken cancellationToken)
    {
        if (!_options.BotEnabled)
        {
            return new(StatusCodes.Status401Unauthorized, "no bot is configured (Teams:BotAppId)");
        }
        if (authorization is not { } header || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return new(StatusCodes.Status401Unauthorized, "no bearer token");
        }
        var raw = header[7..].Trim();
        JsonWebToken token;
        try
        {
            token = _handler.ReadJsonWebToken(raw);
        }
        catch (ArgumentException)
        {
            return new(StatusCodes.Status401Unauthorized, "the token is not a JWT");
        }

        var configuration = await _metadata.GetConfigurationAsync(cancellationToken);
        var key = KeyOf(configuration, token.Kid);
        if (key is null)
        {
            // A key we have not seen: the Bot Framework may have rotated; fetch the metadata and keys once more.
            _metadata.RequestRefresh();
            configuration = await _metadata.GetConfigurationAsync(cancellationToken);
            key = KeyOf(configuration, token.Kid);
        }
        if (key is null)
        {
            return new(StatusCodes.Status401Unauthorized, "the token is signed by a key the Bot Framework does not list");
        }

        var result = await _handler.ValidateTokenAsync(raw, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = _options.BotAppId,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromMinutes(5),
        });
        if (!result.IsValid)
        {
            return new(StatusCodes.Status401Unauthorized, $"the token is not valid: {result.Exception?.GetType().Name ?? "refused"}");
        }
        var claimed = token.TryGetPayloadValue<string>("serviceUrl", out var url) ? url : null;
        if (claimed is null || activityServiceUrl is null || !SameServiceUrl(claimed, activityServiceUrl))
        {
            return new(StatusCodes.Status403Forbidden, "the token's serviceUrl is not the activity's");
        }
        if (!string.Equals(channelId, Channel, StringComparison.Ordinal) || !Endorses(key, Channel))
        {
            return new(StatusCodes.Status403Forbidden, $"the signing key is not endorsed for {Channel}");
        }
        return new(StatusCodes.Status200OK, "accepted");
    }

    private static JsonWebKey? KeyOf(OpenIdConnectConfiguration configuration, string? kid) =>
        kid is null ? null : configuration.JsonWebKeySet?.Keys.FirstOrDefault(k => string.Equals(k.Kid, kid, StringComparison.Ordinal));

    private static bool Endorses(JsonWebKey key, string channel) =>
        key.AdditionalData.TryGetValue("endorsements", out var value)
        && value switch
        {
            IEnumerable<object> list => list.Any(e => string.Equals(e?.ToString(), channel, StringComparison.Ordinal)),
            System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Array } array =>
                array.EnumerateArray().Any(e => e.ValueKind == System.Text.Json.JsonValueKind.String && e.GetString() == channel),
            _ => false,
        };

    private static bool SameServiceUrl(string a, string b) =>
        string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
}
