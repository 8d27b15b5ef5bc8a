using System.Net;

namespace Panaptico.Functions.Tests.Audit;

/// <summary>Every auditor endpoint: anonymous callers get 401, operators and approvers 403, auditors and admins in.</summary>
public sealed class AuditAuthorizationTests(AuditApp app) : IClassFixture<AuditApp>
{
    private static readonly HttpStatusCode[] Refusals = [HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden];

    private const string SomeHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    public static TheoryData<string> Routes { get; } = new()
    {
        $"/api/evidence/{SomeHash}",
        $"/api/evidence/{SomeHash}/meta",
        $"/api/bundles/{SomeHash}",
        "/api/bundles?subject=TASK-0412",
        "/api/ledger/checkpoint",
        "/api/ledger/key",
        "/api/ledger/records/0/proof",
        "/api/ledger/consistency?older=0",
        "/api/ledger/export",
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task An_anonymous_caller_is_401_with_a_problem(string route)
    {
        var response = await app.Anonymous.GetAsync(route);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Operators_and_approvers_are_403_with_a_problem(string route)
    {
        var asOperator = await app.Operator.GetAsync(route);
        var asApprover = await app.Approver.GetAsync(route);

        Assert.Equal(HttpStatusCode.Forbidden, asOperator.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, asApprover.StatusCode);
        Assert.Equal("application/problem+json", asOperator.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Auditors_and_admins_are_let_in(string route)
    {
        var asAuditor = await app.Auditor.GetAsync(route);
        var asAdmin = await app.Admin.GetAsync(route);

        Assert.DoesNotContain(asAuditor.StatusCode, Refusals);
        Assert.DoesNotContain(asAdmin.StatusCode, Refusals);
    }
}
