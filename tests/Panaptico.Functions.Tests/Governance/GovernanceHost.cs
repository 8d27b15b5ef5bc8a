using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Functions.Auth;
using Panaptico.Storage.Account;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Ledger;
using Panaptico.Storage.Notifications;

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
/// app's <see cref="TimeProvider"/>, and development tokens for the people of run TASK-0412. Hosted as a custom
/// handler, so no timer fires by itself: tests invoke <c>ApprovalExpiry</c> through the host's contract.
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

        var app = await TestFunctionApp.StartAsync(HostingMode.CustomHandler, settings: all, services: s =>
        {
            s.AddSingleton<TimeProvider>(time);
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

    /// <summary>What the Functions host does when the <c>ApprovalExpiry</c> timer fires.</summary>
    public async Task RunApprovalExpiryAsync()
    {
        var response = await App.CreateClient().PostAsJsonAsync("/ApprovalExpiry", new JsonObject
        {
            ["Data"] = new JsonObject { ["timer"] = new JsonObject { ["IsPastDue"] = false } },
            ["Metadata"] = new JsonObject(),
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
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

    private static async Task<Reply> ReplyOf(HttpResponseMessage response)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var text = await response.Content.ReadAsStringAsync();
        var json = mediaType is not null && mediaType.Contains("json", StringComparison.Ordinal) && text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null;
        return new Reply(response.StatusCode, mediaType, json);
    }
}

internal sealed record Person(string Id, string Name, params string[] Roles);
