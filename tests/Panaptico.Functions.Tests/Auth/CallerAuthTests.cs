using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Identity;
using Panaptico.Functions.Auth;

namespace Panaptico.Functions.Tests.Auth;

public sealed class CallerAuthTests : IAsyncLifetime
{
    private TestFunctionApp _app = null!;

    public async Task InitializeAsync() => _app = await TestFunctionApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_valid_token_identifies_the_caller_and_their_roles()
    {
        var token = _app.Issuer.Issue("u-nina", "nina.ramirez", [Role.Approver]);

        var me = await _app.CreateClient(token).GetFromJsonAsync<JsonObject>("/api/me");

        Assert.Equal("u-nina", me!["id"]!.GetValue<string>());
        Assert.Equal("nina.ramirez", me["name"]!.GetValue<string>());
        Assert.Equal(Role.Approver, me["roles"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task An_anonymous_call_is_401_with_a_problem()
    {
        var response = await _app.CreateClient().GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_wrong_role_is_403_and_the_right_one_or_admin_passes()
    {
        var operatorCall = await _app.CreateClient(_app.Issuer.Issue("u-o", "operator", [Role.Operator])).GetAsync("/api/ledger/key");
        var auditor = await _app.CreateClient(_app.Issuer.Issue("u-a", "auditor", [Role.Auditor])).GetAsync("/api/ledger/key");
        var admin = await _app.CreateClient(_app.Issuer.Issue("u-x", "admin", [Role.Admin])).GetAsync("/api/ledger/key");

        Assert.Equal(HttpStatusCode.Forbidden, operatorCall.StatusCode);
        Assert.Equal("application/problem+json", operatorCall.Content.Headers.ContentType?.MediaType);
        Assert.Equal("forbidden", (await operatorCall.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, auditor.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var twoHoursAgo = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-2));
        var stale = new DevelopmentIssuer(_app.Issuer.SigningKey.ECDsa, twoHoursAgo);
        var token = stale.Issue("u-o", "operator", [Role.Operator], TimeSpan.FromHours(1));

        var response = await _app.CreateClient(token).GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_token_signed_by_another_key_is_refused()
    {
        var forger = DevelopmentIssuer.Generate();
        var token = forger.Issue("u-o", "operator", [Role.Admin]);

        var response = await _app.CreateClient(token).GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused()
    {
        var other = new DevelopmentIssuer(_app.Issuer.SigningKey.ECDsa, audience: "api://someone-else");

        var response = await _app.CreateClient(other.Issue("u-o", "operator", [Role.Operator])).GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

public sealed class AppServicePrincipalTests
{
    [Fact]
    public async Task In_app_service_mode_the_client_principal_header_identifies_the_caller()
    {
        await using var app = await TestFunctionApp.StartAsync(
            settings: new Dictionary<string, string?> { ["Auth:Mode"] = "AppService" });
        var principal = new JsonObject
        {
            ["auth_typ"] = "aad",
            ["name_typ"] = "name",
            ["role_typ"] = "roles",
            ["claims"] = new JsonArray(
                new JsonObject { ["typ"] = "oid", ["val"] = "u-park" },
                new JsonObject { ["typ"] = "name", ["val"] = "D. Park" },
                new JsonObject { ["typ"] = "roles", ["val"] = "operator" }),
        };
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(AppServicePrincipalHandler.HeaderName,
            Convert.ToBase64String(Encoding.UTF8.GetBytes(principal.ToJsonString())));

        var plan = await client.GetAsync("/api/plans/PLAN-NONE");
        var me = await client.GetFromJsonAsync<JsonObject>("/api/me");

        Assert.Equal(HttpStatusCode.NotFound, plan.StatusCode); // past the operator check, to a plan that does not exist
        Assert.Equal("D. Park", me!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_malformed_client_principal_header_is_refused()
    {
        await using var app = await TestFunctionApp.StartAsync(
            settings: new Dictionary<string, string?> { ["Auth:Mode"] = "AppService" });
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add(AppServicePrincipalHandler.HeaderName, "%%%not-base64");

        var response = await client.GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
