using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Functions.Auth;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Ledger;
using Panaptico.Testing;
using Xunit.Abstractions;

namespace Panaptico.Functions.Tests.Crash;

/// <summary>
/// A governed task's completion killed (SIGKILL) at random moments after it was asked for, around the seal and the save
/// of the task that follows it, then asked for again on a restarted app: one bundle, one <c>bundle.sealed</c>.
/// </summary>
public sealed class SealingCrashTests(ITestOutputHelper output)
{
    private const int Tasks = 6;

    [Fact]
    public async Task A_completion_killed_between_sealing_and_saving_leaves_one_bundle_and_one_bundle_sealed_record()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        var issuer = DevelopmentIssuer.Generate();
        var operatorToken = issuer.Issue("op-1", "operator one", [Role.Operator]);
        var auditorToken = issuer.Issue("aud-1", "auditor one", [Role.Auditor]);
        var storagePrefix = TestStorage.UniqueName("p");
        var settings = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = await TestStorage.ConnectionStringAsync(),
            ["Panaptico:StoragePrefix"] = storagePrefix,
            ["Functions:HostId"] = TestStorage.UniqueName("host"),
            ["Auth:SigningKeyPem"] = issuer.PublicKeyPem,
            ["AzureFunctionsJobHost:extensions:durableTask:hubName"] = TestStorage.UniqueName("hub"),
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:partitionCount"] = "1",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:00.500",
            ["Governance:FollowUpDelay"] = "PT1S",
            // Answer as soon as the task is saved, so the answer tells on which side of the save the kill fell.
            ["Governance:ReleaseWait"] = "PT0S",
            ["HeartbeatSchedule"] = "0 0 0 * * *",
            // Two instances would both fire each minute's drift sweep (the Functions host runs a timer on one); not what this test is about.
            ["DriftSweepSchedule"] = "0 0 0 * * *",
            ["ViolationScanSchedule"] = "0 0 0 * * *",
        };
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var app = await AppProcess.StartAsync(settings, patience.Token);
        try
        {
            var plan = TestStorage.UniqueName("plan").ToUpperInvariant();
            (await SendAsync(app, operatorToken, HttpMethod.Post, "/api/plans", new { id = plan, title = "crash", waves = new[] { new { id = "W1", number = 1, title = "one" } } }))
                .EnsureSuccessStatusCode();
            for (var i = 0; i < Tasks; i++)
            {
                var id = $"{plan}-T{i}";
                await PrepareAsync(app, operatorToken, plan, id);

                // Ask for completion and kill the app a moment later, spread over the tasks and jittered: before, during
                // and after the seal (a chaos schedule, not a wait for something to happen).
                using var http = Client(app, operatorToken);
                var completing = http.PostAsync(new Uri($"/api/tasks/{id}/complete", UriKind.Relative), null, patience.Token);
                await Task.Delay((i * 40) + random.Next(0, 40), patience.Token);
                await app.KillAsync();
                await app.DisposeAsync();
                var answered = await completing.ContinueWith(t => t.IsCompletedSuccessfully ? ((int)t.Result.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) : "no answer", TaskScheduler.Default);
                var sealedAtKill = (await SealedRecordsAsync(settings["AzureWebJobsStorage"], storagePrefix, patience.Token)).Count(r => r.Subject == id);
                app = await AppProcess.StartAsync(settings, patience.Token);

                var again = await SendAsync(app, operatorToken, HttpMethod.Post, $"/api/tasks/{id}/complete", null);
                var body = JsonNode.Parse(await again.Content.ReadAsStringAsync())!;
                Assert.Equal(HttpStatusCode.OK, again.StatusCode);
                // alreadySealed false with a bundle.sealed at the kill: the kill fell between the seal and the save.
                output.WriteLine($"{id}: first completion {answered}; bundle.sealed at the kill {sealedAtKill}; retry alreadySealed={body["alreadySealed"]}");

                var bundles = await SendAsync(app, auditorToken, HttpMethod.Get, $"/api/bundles?subject={id}", null);
                var listed = JsonNode.Parse(await bundles.Content.ReadAsStringAsync())!;
                Assert.Single(listed is JsonArray array ? array : listed["bundles"]!.AsArray());
            }

            var sealedRecords = await SealedRecordsAsync(settings["AzureWebJobsStorage"], storagePrefix, patience.Token);
            for (var i = 0; i < Tasks; i++)
            {
                Assert.Single(sealedRecords, r => r.Subject == $"{plan}-T{i}");
            }
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static async Task<List<LedgerRecord>> SealedRecordsAsync(string connectionString, string storagePrefix, CancellationToken cancellationToken)
    {
        await using var ledger = new TableLedger(new TableServiceClient(connectionString).GetTableClient(storagePrefix + "ledger"), TimeProvider.System);
        var head = await ledger.ReadHeadAsync(cancellationToken);
        var records = new List<LedgerRecord>();
        await foreach (var record in ledger.ReadRangeAsync(0, head.Tree.Size - 1, cancellationToken))
        {
            if (record.Kind == EvidenceSealer.LedgerKind)
            {
                records.Add(record);
            }
        }
        return records;
    }

    private static async Task PrepareAsync(AppProcess app, string token, string plan, string id)
    {
        (await SendAsync(app, token, HttpMethod.Post, "/api/tasks", new
        {
            id,
            planId = plan,
            waveId = "W1",
            title = $"Task {id}",
            ownerId = "op-1",
            upstreamIds = Array.Empty<string>(),
            requirements = new[] { new { id = "export", title = "Config export", kind = "FileExport" } },
        })).EnsureSuccessStatusCode();
        (await SendAsync(app, token, HttpMethod.Post, $"/api/tasks/{id}/transitions", new { action = "ready", reason = "declared" })).EnsureSuccessStatusCode();
        (await SendAsync(app, token, HttpMethod.Post, $"/api/tasks/{id}/transitions", new { action = "start", reason = "go" })).EnsureSuccessStatusCode();
        using var http = Client(app, token);
        using var upload = new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"task":"{{id}}"}"""));
        upload.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        (await http.PostAsync(new Uri($"/api/tasks/{id}/evidence/export?name=export.json", UriKind.Relative), upload)).EnsureSuccessStatusCode();
    }

    private static async Task<HttpResponseMessage> SendAsync(AppProcess app, string token, HttpMethod method, string path, object? body)
    {
        using var http = Client(app, token);
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = body is null ? null : JsonContent.Create(body) };
        return await http.SendAsync(request);
    }

    private static HttpClient Client(AppProcess app, string token)
    {
        var http = new HttpClient { BaseAddress = app.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}
