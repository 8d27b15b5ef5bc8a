using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Governance;
using Panaptico.Storage.Account;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Governance;
using Panaptico.Storage.Ledger;
using Panaptico.Storage.Notifications;
using Panaptico.Testing;

namespace Panaptico.Functions.Tests.Governance;

/// <summary>An answer as a client sees it: status, media type and JSON body (null when the body is not JSON).</summary>
internal sealed record Reply(HttpStatusCode Status, string? MediaType, JsonObject? Json)
{
    public JsonObject Body => Json ?? throw new InvalidOperationException($"{Status} carried no JSON body");

    public string? Detail => (string?)Json?["detail"];

    public Reply Is(HttpStatusCode status)
    {
        Assert.True(status == Status, $"expected {(int)status} {status}, got {(int)Status} {Status}: {Json?.ToJsonString()}");
        return this;
    }

    /// <summary>A refusal: the status, as application/problem+json.</summary>
    public Reply IsProblem(HttpStatusCode status)
    {
        Is(status);
        Assert.Equal("application/problem+json", MediaType);
        return this;
    }
}

/// <summary>
/// The function app with governance on the run's Azurite: the sample routing rules, a fake clock registered as the
/// app's <see cref="TimeProvider"/>, and development tokens for the people of run TASK-0412. Durable timers keep real
/// time (days away for the sample rules' seats), so tests fire a seat's expiry the way its durable timer does:
/// <see cref="ExpireSeatsAsync"/> runs the gate hold's activity for the seats due by the fake clock.
/// </summary>
internal sealed class GovernanceHost : IAsyncDisposable
{
    public static readonly Person Operator = new("op.rivera", "P. Rivera", Role.Operator);
    public static readonly Person DPark = new("dpark", "D. Park", Role.Approver);
    public static readonly Person MAlvarez = new("malvarez", "M. Alvarez", Role.Approver);
    public static readonly Person JChen = new("jchen", "J. Chen", Role.Approver);
    public static readonly Person RLee = new("rlee", "R. Lee", Role.Approver);
    public static readonly Person Auditor = new("audit.ward", "E. Ward", Role.Auditor);

    private readonly DevelopmentIssuer _issuer;

    private GovernanceHost(TestFunctionApp app, FakeTimeProvider time)
    {
        App = app;
        Time = time;
        // Tokens valid a little before and long after the fake clock's start, whichever clock validates them.
        _issuer = new DevelopmentIssuer(app.Issuer.SigningKey.ECDsa, new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-5)));
    }

    public TestFunctionApp App { get; }

    public FakeTimeProvider Time { get; }

    public static async Task<GovernanceHost> StartAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        // Whole minutes, so telemetry timestamps written to the second land exactly on the window.
        var start = DateTimeOffset.UtcNow;
        var time = new FakeTimeProvider(new DateTimeOffset(start.Year, start.Month, start.Day, start.Hour, start.Minute, 0, TimeSpan.Zero));
        var all = new Dictionary<string, string?>
        {
            ["Governance:ApprovalRulesPath"] = RepositoryFile("src", "Panaptico.Core", "Governance", "Approvals", "approval-routes.sample.yaml"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var app = await TestFunctionApp.StartAsync(settings: all, services: s =>
        {
            s.AddSingleton<TimeProvider>(time);
            // The ledger's de-duplication by entry id, until the ledger itself has it.
            s.AddSingleton<ILedgerAppender>(sp => new DeduplicatingLedger(sp.GetRequiredService<TableLedger>()));
            services?.Invoke(s);
        });
        return new GovernanceHost(app, time);
    }

    public HttpClient Client(Person? person) =>
        App.CreateClient(person is null ? null : _issuer.Issue(person.Id, person.Name, person.Roles, TimeSpan.FromDays(30)));

    public Task<Reply> GetAsync(Person? person, string path) => SendAsync(person, HttpMethod.Get, path, null);

    public Task<Reply> PostAsync(Person? person, string path, object? body = null) => SendAsync(person, HttpMethod.Post, path, body);

    public Task<Reply> PutAsync(Person? person, string path, object body) => SendAsync(person, HttpMethod.Put, path, body);

    public async Task<Reply> SendAsync(Person? person, HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Content = body switch
            {
                null => null,
                string raw => new StringContent(raw, Encoding.UTF8, "application/json"),
                _ => JsonContent.Create(body),
            },
        };
        return await ReplyOf(await Client(person).SendAsync(request));
    }

    /// <summary>Uploads an artifact as its raw bytes, named by Content-Disposition.</summary>
    public async Task<Reply> UploadAsync(Person? person, string taskId, string requirement, string fileName, byte[] bytes, string mediaType = "application/x-ndjson", string? claimedSha256 = null)
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        content.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = fileName };
        if (claimedSha256 is not null)
        {
            content.Headers.Add("X-Content-SHA256", claimedSha256);
        }

        return await ReplyOf(await Client(person).PostAsync($"/api/tasks/{taskId}/evidence/{requirement}", content));
    }

    /// <summary>
    /// What each due seat's durable timer does when it fires: the <c>GateHold</c> orchestration's activity, for every
    /// open seat whose expiry the fake clock has passed. Returns what each hold would do next.
    /// </summary>
    public async Task<IReadOnlyList<GateHoldOutcome>> ExpireSeatsAsync(string taskId)
    {
        var stored = await App.Services.GetRequiredService<TaskRepository>().GetAsync(taskId, CancellationToken.None)
            ?? throw new InvalidOperationException($"no task {taskId}");
        var activities = ActivatorUtilities.CreateInstance<GateHoldActivities>(App.Services);
        var outcomes = new List<GateHoldOutcome>();
        foreach (var seat in stored.Record.Approvals?.Seats.Where(s => s is { State: SeatState.Open, ExpiresAt: { } at } && at <= Time.GetUtcNow()) ?? [])
        {
            outcomes.Add(await activities.ExpireApprovalSeats(new GateHoldInput(taskId, seat.Id, seat.ExpiresAt!.Value)));
        }

        return outcomes;
    }

    /// <summary>Waits for the follow-ups the task's writes scheduled (and the holds and releases they ran) to finish.</summary>
    public async Task<IReadOnlyList<OrchestrationMetadata>> FollowUpsAsync(string taskId, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        var done = new List<OrchestrationMetadata>();
        await foreach (var instance in App.Durable.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = $"task-{taskId}-v" }))
        {
            done.Add(await App.Durable.WaitForInstanceCompletionAsync(instance.InstanceId, getInputsAndOutputs: true, cancel.Token));
        }

        return done;
    }

    public async Task<IReadOnlyList<Notification>> OutboxAsync() =>
        await App.Services.GetRequiredService<OutboxNotifier>().PendingAsync(CancellationToken.None);

    public async Task<IReadOnlyList<LedgerRecord>> LedgerAsync()
    {
        var ledger = App.Services.GetRequiredService<TableLedger>();
        var head = await ledger.ReadHeadAsync(CancellationToken.None);
        var records = new List<LedgerRecord>();
        await foreach (var record in ledger.ReadRangeAsync(0, head.Size - 1, CancellationToken.None))
        {
            records.Add(record);
        }

        return records;
    }

    /// <summary>Every blob in the evidence container, committed or not.</summary>
    public async Task<List<string>> EvidenceBlobsAsync()
    {
        var names = new List<string>();
        await foreach (var item in App.Services.GetRequiredService<EvidenceVault>().Container.GetBlobsAsync(new GetBlobsOptions { States = BlobStates.All }))
        {
            names.Add(item.Name);
        }

        return names;
    }

    public StorageNames Names => App.Services.GetRequiredService<StorageNames>();

    public static string RepositoryFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine([dir.FullName, .. parts]);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{Path.Combine(parts)} not found above the test binaries");
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();

    internal static async Task<Reply> ReplyOf(HttpResponseMessage response)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var text = await response.Content.ReadAsStringAsync();
        var json = mediaType is not null && mediaType.Contains("json", StringComparison.Ordinal) && text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null;
        return new Reply(response.StatusCode, mediaType, json);
    }
}

internal sealed record Person(string Id, string Name, params string[] Roles);
