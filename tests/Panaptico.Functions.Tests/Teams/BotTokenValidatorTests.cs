using Panaptico.Functions.Teams;

namespace Panaptico.Functions.Tests.Teams;

/// <summary>
/// The Bot Framework JWT check against a fake OpenID metadata document and JWKS served by WireMock: only a token signed by
/// a listed key endorsed for msteams, issued by the Bot Framework for our app id, in its lifetime, for the activity's
/// serviceUrl, is accepted.
/// </summary>
public sealed class BotTokenValidatorTests : IDisposable
{
    private readonly TeamsFakes _fakes = new();

    [Fact]
    public async Task Only_a_valid_Bot_Framework_token_for_this_bot_and_this_serviceUrl_is_accepted()
    {
        using var http = new HttpClient();
        var validator = new BotTokenValidator(_fakes.Options(), http);
        Task<BotTokenCheck> Check(string token, string serviceUrl = TeamsFakes.InvokeServiceUrl) =>
            validator.CheckAsync($"Bearer {token}", serviceUrl, "msteams", CancellationToken.None);

        var valid = await Check(_fakes.Token());
        var expired = await Check(_fakes.Token(expiresIn: TimeSpan.FromMinutes(-6)));
        var wrongAudience = await Check(_fakes.Token(audience: "another-bot"));
        var wrongIssuer = await Check(_fakes.Token(issuer: "https://sts.windows.net/evil/"));
        var unknownKey = await Check(_fakes.Token(unknownKey: true));
        var otherServiceUrl = await Check(_fakes.Token(serviceUrl: "https://evil.example/"));
        var unendorsed = await Check(_fakes.Token(unendorsedKey: true));
        var none = await validator.CheckAsync(null, TeamsFakes.InvokeServiceUrl, "msteams", CancellationToken.None);

        Assert.True(valid.Accepted, valid.Reason);
        Assert.Equal(401, expired.Status);
        Assert.Equal(401, wrongAudience.Status);
        Assert.Equal(401, wrongIssuer.Status);
        Assert.Equal(401, unknownKey.Status);
        Assert.Equal(403, otherServiceUrl.Status);
        Assert.Equal(403, unendorsed.Status);
        Assert.Equal(401, none.Status);
        // The metadata and the keys were fetched from the configured URL; the unknown key made it look again.
        Assert.NotEmpty(TeamsFakes.Requests(_fakes.BotFramework, "GET", "/v1/.well-known/openidconfiguration"));
        Assert.NotEmpty(TeamsFakes.Requests(_fakes.BotFramework, "GET", "/v1/keys"));
    }

    [Fact]
    public async Task A_token_within_the_five_minute_skew_is_still_accepted()
    {
        using var http = new HttpClient();
        var validator = new BotTokenValidator(_fakes.Options(), http);

        var check = await validator.CheckAsync($"Bearer {_fakes.Token(expiresIn: TimeSpan.FromMinutes(-3))}", TeamsFakes.InvokeServiceUrl, "msteams", CancellationToken.None);

        Assert.True(check.Accepted, check.Reason);
    }

    public void Dispose() => _fakes.Dispose();
}
