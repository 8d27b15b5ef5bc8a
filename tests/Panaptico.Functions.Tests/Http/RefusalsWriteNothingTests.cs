using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Core.Limits;
using Panaptico.Functions.Http;
using Panaptico.Functions.Standalone;
using Panaptico.Functions.Tests.Governance;
using Panaptico.Functions.Tests.Remediation;
using Panaptico.Testing;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Http;

/// <summary>
/// A refused call writes nothing: every table, blob container and queue of the app (its storage prefix, its task
/// hub, its host id) is the same after each refusal as before it. The refusals: bodies over their endpoint's limit
/// (413, sent with and without a length), text over its field's limit (400 naming the field), malformed JSON,
/// unauthenticated and unauthorised calls, and evidence names that are paths.
/// </summary>
public sealed class RefusalsWriteNothingTests(RefusalsWriteNothingTests.App fixture) : IClassFixture<RefusalsWriteNothingTests.App>
{
    private const string TaskId = "REF-1";
    private static readonly string TenMegabytes = new('x', 10 * 1024 * 1024);

    private readonly App _app = fixture;

    public static TheoryData<string> OversizedBodies => ["plans", "tasks", "transitions", "context-pack", "approve", "deny", "events"];

    [Theory]
    [MemberData(nameof(OversizedBodies))]
    public async Task A_ten_megabyte_body_is_413_too_large_and_writes_nothing(string endpoint)
    {
        var (path, body) = endpoint switch
        {
            "plans" => ("/api/plans", (object)new { id = "PLAN-HUGE", title = TenMegabytes, waves = new[] { new { id = "W1", number = 1, title = "w" } } }),
            "tasks" => ("/api/tasks", NewTask("REF-HUGE", "PLAN-REF", title: TenMegabytes)),
            "transitions" => ($"/api/tasks/{TaskId}/transitions", Transition("hold", TenMegabytes)),
            "context-pack" => ($"/api/tasks/{TaskId}/context-pack", new { contextPack = Pack(TenMegabytes), reason = "bigger" }),
            "approve" => ($"/api/changes/{_app.ChangeId}/approve", new { rationale = TenMegabytes, contextPackSha256 = _app.ContextPackSha256 }),
            "deny" => ($"/api/changes/{_app.ChangeId}/deny", new { rationale = TenMegabytes, contextPackSha256 = _app.ContextPackSha256 }),
            _ => ($"/api/events/resources?code={App.FunctionKey}", new JsonArray(ResourceEventsTests.ResourceWrite("devstoreaccount1", TenMegabytes))),
        };
        var method = endpoint == "context-pack" ? HttpMethod.Put : HttpMethod.Post;
        var person = endpoint is "approve" or "deny" ? DPark : Operator;

        var refused = await _app.RefusedAsync(() => _app.Host.SendAsync(person, method, path, body), HttpStatusCode.RequestEntityTooLarge, "too-large");

        Assert.True((int?)refused.Body["limitBytes"] is BodyLimits.Decision or BodyLimits.Definition or BodyLimits.EventBatch, refused.Body.ToJsonString());
    }

    [Fact]
    public async Task A_body_sent_without_a_length_is_cut_off_at_the_limit_as_413()
    {
        var json = $"{{\"action\":\"hold\",\"reason\":\"{new string('x', BodyLimits.Decision)}\"}}";

        var refused = await _app.RefusedAsync(async () =>
        {
            using var content = new UnknownLengthContent(Encoding.UTF8.GetBytes(json));
            return await ReplyOf(await _app.Host.Client(Operator).PostAsync($"/api/tasks/{TaskId}/transitions", content));
        }, HttpStatusCode.RequestEntityTooLarge, "too-large");

        Assert.Equal(BodyLimits.Decision, (int?)refused.Body["limitBytes"]);
    }

    public static TheoryData<string, string, int> OverlongFields => new()
    {
        { "plan title", "title", TextLimits.Title },
        { "wave title", "waves[0].title", TextLimits.Title },
        { "task title", "title", TextLimits.Title },
        { "requirement title", "requirements[0].title", TextLimits.Title },
        { "owner", "ownerId", TextLimits.Name },
        { "transition reason", "reason", TextLimits.Prose },
        { "outcome note", "note", TextLimits.Prose },
        { "approve rationale", "rationale", TextLimits.Prose },
        { "deny rationale", "rationale", TextLimits.Prose },
        { "sign rationale", "rationale", TextLimits.Prose },
        { "observed value", "items[0].observed.version", TextLimits.Value },
    };

    [Theory]
    [MemberData(nameof(OverlongFields))]
    public async Task Text_over_its_fields_limit_is_400_naming_the_field_and_writes_nothing(string what, string field, int limit)
    {
        var text = new string('y', limit + 1);
        var (person, method, path, body) = what switch
        {
            "plan title" => (Operator, HttpMethod.Post, "/api/plans", (object)new { id = "PLAN-LONG", title = text, waves = new[] { new { id = "W1", number = 1, title = "w" } } }),
            "wave title" => (Operator, HttpMethod.Post, "/api/plans", new { id = "PLAN-LONG", title = "t", waves = new[] { new { id = "W1", number = 1, title = text } } }),
            "task title" => (Operator, HttpMethod.Post, "/api/tasks", NewTask("REF-LONG", "PLAN-REF", title: text)),
            "requirement title" => (Operator, HttpMethod.Post, "/api/tasks", NewTask("REF-LONG", "PLAN-REF", requirements: [new { id = "r", title = text, kind = "FileExport" }])),
            "owner" => (Operator, HttpMethod.Post, "/api/tasks", NewTask("REF-LONG", "PLAN-REF", owner: text)),
            "transition reason" => (Operator, HttpMethod.Post, $"/api/tasks/{TaskId}/transitions", Transition("hold", text)),
            "outcome note" => (Operator, HttpMethod.Post, $"/api/tasks/{TaskId}/runbook/steps/1/outcomes", new { itemId = "i1", result = "Fail", note = text }),
            "approve rationale" => (DPark, HttpMethod.Post, $"/api/changes/{_app.ChangeId}/approve", new { rationale = text, contextPackSha256 = _app.ContextPackSha256 }),
            "deny rationale" => (DPark, HttpMethod.Post, $"/api/changes/{_app.ChangeId}/deny", new { rationale = text, contextPackSha256 = _app.ContextPackSha256 }),
            "sign rationale" => (DPark, HttpMethod.Post, $"/api/tasks/{TaskId}/approvals/domain-cost-owner", Sign("approve", text, new string('0', 64))),
            _ => (Operator, HttpMethod.Put, $"/api/tasks/{TaskId}/runbook/steps/1/live-state",
                new { connector = "c", items = new[] { new { itemId = "i1", observed = new Dictionary<string, string> { ["version"] = text } } } }),
        };

        var refused = await _app.RefusedAsync(() => _app.Host.SendAsync(person, method, path, body), HttpStatusCode.BadRequest, "invalid");

        Assert.Equal((field, limit), ((string?)refused.Body["field"], (int?)refused.Body["maxLength"]));
        Assert.Contains($"at most {limit}", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_json_is_400_and_writes_nothing()
    {
        await _app.RefusedAsync(() => _app.Host.PostAsync(Operator, "/api/plans", "{\"id\":\"PLAN-X\",\"title\":"), HttpStatusCode.BadRequest, "invalid");
        await _app.RefusedAsync(() => _app.Host.PostAsync(Operator, "/api/tasks", "[1,2"), HttpStatusCode.BadRequest, "invalid");
        await _app.RefusedAsync(() => _app.Host.PostAsync(Operator, $"/api/tasks/{TaskId}/transitions", "{\"action\":\"hold\",\"reason\":}"), HttpStatusCode.BadRequest, "invalid");
        await _app.RefusedAsync(() => _app.Host.PostAsync(DPark, $"/api/changes/{_app.ChangeId}/approve", "{\"rationale\":"), HttpStatusCode.BadRequest, "invalid");
        await _app.RefusedAsync(() => _app.Host.PostAsync(null, $"/api/events/resources?code={App.FunctionKey}", "{not json"), HttpStatusCode.BadRequest, "invalid");
    }

    [Fact]
    public async Task Unauthenticated_and_unauthorised_calls_write_nothing()
    {
        await _app.RefusedAsync(() => _app.Host.PostAsync(null, "/api/tasks", NewTask("REF-ANON", "PLAN-REF")), HttpStatusCode.Unauthorized, "unauthenticated");
        await _app.RefusedAsync(() => _app.Host.PostAsync(Auditor, "/api/plans", Plan("PLAN-AUD")), HttpStatusCode.Forbidden, "forbidden");
        await _app.RefusedAsync(() => _app.Host.PostAsync(Operator, $"/api/changes/{_app.ChangeId}/approve", new { rationale = "ok", contextPackSha256 = _app.ContextPackSha256 }),
            HttpStatusCode.Forbidden, "forbidden");
        await _app.RefusedAsync(() => _app.Host.PostAsync(DPark, $"/api/tasks/{TaskId}/transitions", Transition("hold", "not mine")), HttpStatusCode.Forbidden, "forbidden");
    }

    public static TheoryData<string, string> BadEvidenceNames => new()
    {
        { "../../etc/passwd", "path separator" },
        { "..\\..\\evil.jsonl", "path separator" },
        { "..", ".." },
        { "report..json", ".." },
        { "bell\u0007.json", "control character" },
        { new string('n', 256) + ".json", "at most 255" },
    };

    [Theory]
    [MemberData(nameof(BadEvidenceNames))]
    public async Task An_evidence_name_that_is_a_path_or_holds_control_characters_is_400_and_writes_nothing(string name, string reason)
    {
        var refused = await _app.RefusedAsync(
            () => _app.UploadAsync(name, viaQuery: false), HttpStatusCode.BadRequest, "invalid");
        Assert.Contains(reason, refused.Detail, StringComparison.Ordinal);

        refused = await _app.RefusedAsync(() => _app.UploadAsync(name, viaQuery: true), HttpStatusCode.BadRequest, "invalid");
        Assert.Contains(reason, refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_snapshot_sees_an_accepted_write()
    {
        var active = (string?)(await _app.Host.GetAsync(Operator, $"/api/tasks/{TaskId}")).Is(HttpStatusCode.OK).Body["state"] == "Active";
        var before = await _app.SettledSnapshotAsync();
        (await _app.Host.PostAsync(Operator, $"/api/tasks/{TaskId}/transitions", Transition(active ? "hold" : "resume", "snapshot check"))).Is(HttpStatusCode.OK);
        var after = await _app.SettledSnapshotAsync();
        (await _app.Host.PostAsync(Operator, $"/api/tasks/{TaskId}/transitions", Transition(active ? "resume" : "hold", "snapshot check done"))).Is(HttpStatusCode.OK);

        var differences = after.DifferencesFrom(before);
        Assert.Contains(differences, d => d.Contains($" {TaskId}/task:", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.Contains("Instances", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_plain_evidence_name_is_stored_as_sent()
    {
        var stored = (await _app.UploadAsync("kms keys (pre).json", viaQuery: false)).Is(HttpStatusCode.Created);

        Assert.Equal("kms keys (pre).json", (string?)stored.Body["artifact"]!["fileName"]);
    }

    /// <summary>One app: plan PLAN-REF, task REF-1 (active, one export requirement, a one-step runbook) and a production change waiting for approval.</summary>
    public sealed class App : IAsyncLifetime
    {
        public const string FunctionKey = "refusals-key";

        internal GovernanceHost Host { get; private set; } = null!;

        public string ChangeId { get; private set; } = "";

        public string ContextPackSha256 { get; private set; } = "";

        private string[] _prefixes = [];

        public async Task InitializeAsync()
        {
            Host = await StartAsync(new Dictionary<string, string?>
            {
                // No timer fires while a snapshot is compared.
                ["ViolationScanSchedule"] = "0 0 0 1 1 *",
                ["HeartbeatSchedule"] = "0 0 0 1 1 *",
                ["Functions:Keys:default"] = FunctionKey,
            });
            var configuration = Host.App.Services.GetRequiredService<IConfiguration>();
            _prefixes = [configuration["Panaptico:StoragePrefix"]!, configuration[$"{DurableTaskHostOptions.Section}:hubName"]!, configuration["Functions:HostId"]!];

            await PlanAsync(Host, "PLAN-REF");
            await ActiveAsync(Host, new
            {
                id = TaskId,
                planId = "PLAN-REF",
                waveId = "W1",
                title = "Refusals",
                ownerId = "tnguyen",
                requirements = new[] { Export },
                runbook = new[] { new { number = 1, title = "Check", instruction = "Look", check = "version", expectedText = "v2", expected = new Dictionary<string, string> { ["i1"] = "v2" } } },
            }, TaskId);
            (await Host.PostAsync(Operator, $"/api/tasks/{TaskId}/approvals", KmsRoute())).Is(HttpStatusCode.OK);

            // A production container open to public read, re-checked on its resource event: a change waits for approval.
            var blobs = new BlobServiceClient(await TestStorage.ConnectionStringAsync());
            var container = blobs.GetBlobContainerClient($"{_prefixes[0]}-exports");
            await container.CreateAsync(PublicAccessType.Blob, new Dictionary<string, string> { ["env"] = "prod", ["owner"] = "platform-security" });
            (await Host.PostAsync(null, $"/api/events/resources?code={FunctionKey}", new JsonArray(ResourceEventsTests.ResourceWrite(blobs.AccountName, container.Name))))
                .Is(HttpStatusCode.OK);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (ContextPackSha256.Length == 0)
            {
                deadline.Token.ThrowIfCancellationRequested();
                if ((await ListAsync()).FirstOrDefault(c => (string?)c["stage"] == "approval") is { } pending)
                {
                    ChangeId = (string)pending["id"]!;
                    var change = (await Host.GetAsync(Operator, $"/api/changes/{ChangeId}")).Is(HttpStatusCode.OK).Body;
                    ContextPackSha256 = (string?)change["approvalGate"]?["contextPackSha256"] ?? "";
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
            }
        }

        public Task DisposeAsync() => Host.DisposeAsync().AsTask();

        /// <summary>
        /// Waits until the app's storage holds still (setup's follow-ups done), sends the call, checks it is the
        /// refusal named, and asserts that storage is exactly as it was.
        /// </summary>
        internal async Task<Reply> RefusedAsync(Func<Task<Reply>> call, HttpStatusCode status, string code)
        {
            var before = await SettledAsync();
            var reply = await call();
            var after = await SnapshotAsync();

            var differences = after.DifferencesFrom(before);
            Assert.True(differences.Count == 0,
                $"the call answered {(int)reply.Status} {(string?)reply.Json?["code"]}: {reply.Detail}, and changed storage:\n" + string.Join('\n', differences.Take(20)));
            reply.IsProblem(status);
            Assert.Equal(code, (string?)reply.Body["code"]);
            return reply;
        }

        internal async Task<Reply> UploadAsync(string name, bool viaQuery)
        {
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"keys\":1}"));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var path = $"/api/tasks/{TaskId}/evidence/export";
            if (viaQuery)
            {
                path += "?name=" + Uri.EscapeDataString(name);
            }
            else
            {
                // As a client writes it: the name quoted as sent, backslashes included.
                content.Headers.TryAddWithoutValidation("Content-Disposition", $"attachment; filename=\"{name}\"");
            }

            return await ReplyOf(await Host.Client(Operator).PostAsync(path, content));
        }

        private async Task<List<JsonObject>> ListAsync()
        {
            var response = await Host.Client(Operator).GetAsync("/api/changes");
            return [.. (JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonArray ?? []).OfType<JsonObject>()];
        }

        internal Task<StorageSnapshot> SettledSnapshotAsync() => SettledAsync();

        private async Task<StorageSnapshot> SnapshotAsync() =>
            await StorageSnapshot.TakeAsync(await TestStorage.ConnectionStringAsync(), _prefixes, IsEngineBookkeeping);

        /// <summary>
        /// Storage unchanged for longer than a write's follow-up waits (<c>Governance:FollowUpDelay</c>, 1 s here):
        /// nothing the setup or an earlier test started is still writing.
        /// </summary>
        private async Task<StorageSnapshot> SettledAsync()
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var last = await SnapshotAsync();
            var quietSince = DateTimeOffset.UtcNow;
            while (DateTimeOffset.UtcNow - quietSince < TimeSpan.FromSeconds(2.5))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), deadline.Token);
                var next = await SnapshotAsync();
                if (next.DifferencesFrom(last).Count > 0)
                {
                    quietSince = DateTimeOffset.UtcNow;
                }

                last = next;
            }

            return last;
        }

        /// <summary>The Durable Task engine renews its partition leases on its own, whatever the app does.</summary>
        private bool IsEngineBookkeeping(string name) =>
            name.EndsWith("Partitions", StringComparison.OrdinalIgnoreCase) || name.EndsWith("-leases", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith("-applease", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A body sent chunked, its length unknown to the server until it has read it.</summary>
    private sealed class UnknownLengthContent : HttpContent
    {
        private readonly byte[] _bytes;

        public UnknownLengthContent(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
