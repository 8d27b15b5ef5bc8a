using System.Net;
using System.Text;
using Panaptico.Testing.Kms;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

/// <summary>
/// TASK-0412's "CloudTrail RotateKey · 14 events" as a CloudTrail check: the operator pushes the RotateKey service
/// events (JSON lines in CloudTrail's own record shape); the requirement is met only when each of the 14 finance CMKs
/// has one inside the window.
/// </summary>
public sealed class CloudTrailEvidenceOverHttpTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>, IDisposable
{
    private static readonly DateTimeOffset WindowStart = new(2026, 4, 21, 0, 0, 0, TimeSpan.Zero);
    private readonly GovernanceHost _host = fixture.Host;
    private readonly KmsFake _kms = KmsFake.Finance();

    public void Dispose() => _kms.Dispose();

    [Fact]
    public async Task Fourteen_keys_with_a_RotateKey_event_in_the_window_capture_the_requirement()
    {
        var id = await TaskAsync("CT-14");
        var records = FinanceKeys.Select((k, i) => _kms.RotateKeyRecord(k, WindowStart.AddMinutes(i)))
            .Append(_kms.RotateKeyRecord(FinanceKeys[0], WindowStart.AddDays(-3))) // before the window: ignored
            .Append("""{"eventVersion":"1.08","eventTime":"2026-04-21T03:00:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","eventType":"AwsApiCall","resources":[]}""");

        var captured = (await _host.UploadAsync(Operator, id, "cloudtrail-rotatekey", "rotatekey.jsonl", Lines(records))).Is(HttpStatusCode.Created).Body;

        Assert.Equal("Accepted", (string?)captured["artifact"]!["outcome"]);
        Assert.Equal("14 events · 14 of 14 keys (1 event outside the window ignored)", (string?)captured["requirement"]!["detail"]);
        Assert.Equal("1 / 1 captured", (string?)captured["evidence"]!["progress"]);
    }

    [Fact]
    public async Task Thirteen_keys_leave_the_requirement_rejected_naming_the_key_without_an_event()
    {
        var id = await TaskAsync("CT-13");
        var missing = FinanceKeys.Single(k => k.KeyId.StartsWith("2e19", StringComparison.Ordinal));
        var records = FinanceKeys.Where(k => k != missing).Select(k => _kms.RotateKeyRecord(k, WindowStart.AddHours(2)))
            .Append(_kms.RotateKeyRecord(FinanceKeys[0], WindowStart.AddHours(3))); // a second rotation of one key counts once

        var captured = (await _host.UploadAsync(Operator, id, "cloudtrail-rotatekey", "rotatekey.jsonl", Lines(records))).Is(HttpStatusCode.Created).Body;

        Assert.Equal("Rejected", (string?)captured["artifact"]!["outcome"]);
        Assert.Equal($"13 of 14 keys have a RotateKey event in the window; no RotateKey for {missing.Arn}", (string?)captured["requirement"]!["detail"]);
        Assert.Equal("0 / 1 captured", (string?)captured["evidence"]!["progress"]);
    }

    [Fact]
    public async Task Lines_that_are_not_CloudTrail_records_are_refused_and_nothing_is_recorded()
    {
        var id = await TaskAsync("CT-BAD");
        var before = (await _host.GetAsync(Operator, $"/api/tasks/{id}")).Body;
        var good = _kms.RotateKeyRecord(FinanceKeys[0], WindowStart);

        var notJson = (await _host.UploadAsync(Operator, id, "cloudtrail-rotatekey", "ct.jsonl", Lines([good, "{not json"]))).IsProblem(HttpStatusCode.BadRequest);
        Assert.Equal(("invalid", "cloudtrail-rotatekey"), ((string?)notJson.Body["code"], (string?)notJson.Body["requirement"]));
        Assert.StartsWith("'ct.jsonl' for 'cloudtrail-rotatekey' refused: line 2 is not JSON", notJson.Detail, StringComparison.Ordinal);

        var oldShape = (await _host.UploadAsync(Operator, id, "cloudtrail-rotatekey", "ct.jsonl", Lines(["""{"eventName":"RotateKey","keyId":"key/0001"}"""]))).IsProblem(HttpStatusCode.BadRequest);
        Assert.Equal("'ct.jsonl' for 'cloudtrail-rotatekey' refused: line 1 is not a CloudTrail record: 'eventVersion' missing or not a string", oldShape.Detail);

        var noResources = (await _host.UploadAsync(Operator, id, "cloudtrail-rotatekey", "ct.jsonl",
            Lines([good.Replace("\"resources\":", "\"resourcesGone\":", StringComparison.Ordinal)]))).IsProblem(HttpStatusCode.BadRequest);
        Assert.Equal("'ct.jsonl' for 'cloudtrail-rotatekey' refused: line 1 is not a CloudTrail RotateKey record: it needs resources[].ARN naming the resource", noResources.Detail);

        var badTime = (await _host.UploadAsync(Operator, id, "cloudtrail-rotatekey", "ct.jsonl",
            Lines([good.Replace("2026-04-21T00:00:00Z", "yesterday", StringComparison.Ordinal)]))).IsProblem(HttpStatusCode.BadRequest);
        Assert.Equal("'ct.jsonl' for 'cloudtrail-rotatekey' refused: line 1 is not a CloudTrail record: eventTime 'yesterday' is not an ISO 8601 time", badTime.Detail);

        var after = (await _host.GetAsync(Operator, $"/api/tasks/{id}")).Body;
        Assert.Equal(((long)before["version"]!, 0), ((long)after["version"]!, after["artifacts"]!.AsArray().Count));
        Assert.DoesNotContain(await _host.LedgerAsync(), r => r.Subject == id && r.Kind.StartsWith("evidence.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_CloudTrail_check_without_the_resources_it_counts_is_refused_at_creation()
    {
        await PlanAsync(_host, "PLAN-CT-NONE");
        var task = Task("CT-NONE", "PLAN-CT-NONE", []);

        var refused = (await _host.PostAsync(Operator, "/api/tasks", task)).IsProblem(HttpStatusCode.BadRequest);

        Assert.Equal("evidence requirement 'cloudtrail-rotatekey': a CloudTrail check needs the distinct resource ARNs that must each have an event", refused.Detail);
    }

    private IReadOnlyList<FakeKmsKey> FinanceKeys => [.. _kms.Keys.Where(k => k.Aliases.Any(a => a.StartsWith("alias/finance/", StringComparison.Ordinal)))];

    private async Task<string> TaskAsync(string id)
    {
        await PlanAsync(_host, $"PLAN-{id}");
        await ActiveAsync(_host, Task(id, $"PLAN-{id}", [.. FinanceKeys.Select(k => k.Arn)]), id);
        return id;
    }

    private object Task(string id, string plan, string[] resources) => new
    {
        id,
        planId = plan,
        waveId = "W1",
        title = "Enforce KMS auto-rotation · 14 finance-domain CMKs",
        ownerId = "tnguyen",
        requirements = new object[]
        {
            new
            {
                id = "cloudtrail-rotatekey",
                title = "CloudTrail RotateKey · 14 events",
                kind = "QueryExport",
                check = new
                {
                    cloudTrail = new
                    {
                        eventSource = "kms.amazonaws.com",
                        eventName = "RotateKey",
                        eventType = "AwsServiceEvent",
                        recipientAccountId = _kms.AccountId,
                        resources,
                        from = WindowStart,
                        to = WindowStart.AddDays(2),
                    },
                },
            },
        },
    };

    private static byte[] Lines(IEnumerable<string> lines) => Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
}
