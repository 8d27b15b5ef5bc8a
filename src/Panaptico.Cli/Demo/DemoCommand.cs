using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

using DurableTask.Core.History;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Panaptico.Connectors.S3;
using Panaptico.Core.Identity;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Functions;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Heartbeat;
using Panaptico.Functions.Standalone;
using Panaptico.Storage.Account;
using Panaptico.Storage.Azurite;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Ledger;
using Panaptico.Storage.Notifications;

namespace Panaptico.Cli.Demo;

/// <summary>
/// The walkthrough: starts the embedded store (Azurite on loopback) and the function app standalone, shows a timer
/// function firing and HTTP functions answering as real callers; then a production container open to public read is
/// detected by the scan, approved by an approver, backed up, fixed, verified, bundled for rollback and closed out,
/// and the six artifacts, the change's orchestration (instance id, status, history) and its ledger lines are printed.
/// Then everything stops. With <c>--s3</c> the asset is the product's own: the S3 bucket
/// <c>acme-prod-customer-exports</c> with the three grants, on the given S3 API (<c>./run.sh demo s3</c> starts Swift).
/// </summary>
public static class DemoCommand
{
    internal const string Container = "acme-prod-customer-exports";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var storage = new Option<string?>("--storage") { Description = "A storage connection string; default: start Azurite" };
        var s3 = new Option<string?>("--s3")
        {
            Description = "Run the walkthrough on an S3 bucket at this S3 API: ServiceUrl=…;AccessKeyId=…;SecretAccessKey=… (./run.sh demo s3 starts Swift and passes it)",
        };
        var command = new Command("demo", "Run the walkthrough on the embedded default store") { storage, s3 };
        command.SetAction((result, cancellationToken) => RunAsync(result.GetValue(storage), Console.Out, cancellationToken, result.GetValue(s3)));
        return command;
    }

    public static async Task<int> RunAsync(string? connectionString, TextWriter output, CancellationToken cancellationToken, string? s3 = null)
    {
        var endpoint = s3 is null ? null : S3Endpoint.Parse(s3);
        var clock = Stopwatch.StartNew();
        void Say(string line) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F2}s] {line}");
        AzuriteProcess? azurite = null;
        if (connectionString is null)
        {
            azurite = await AzuriteProcess.StartAsync(cancellationToken);
            connectionString = azurite.ConnectionString;
            Say("Azurite listening on loopback (temporary workspace)");
        }
        try
        {
            var issuer = DevelopmentIssuer.Generate();
            await using var app = FunctionApp.BuildStandalone([], builder =>
            {
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                // The SDK logs every 404 and 409 as a warning; the app expects them (create-once writes, absent blobs).
                builder.Logging.AddFilter("Azure.Core", LogLevel.Error);
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["AzureWebJobsStorage"] = connectionString,
                    ["Auth:SigningKeyPem"] = issuer.PublicKeyPem,
                    ["HeartbeatSchedule"] = "*/2 * * * * *",
                    // The scan every second, over the demo's containers only (Azurite's own service defaults would
                    // open blob-service changes too; they are not what this walkthrough is about).
                    ["ViolationScanSchedule"] = "* * * * * *",
                    ["Remediation:Accounts:0:ContainerPrefix"] = "acme-",
                    ["Remediation:Accounts:0:IncludeBlobService"] = "false",
                    ["Remediation:Owners:Addresses:platform-security"] = "platform-security@acme.example",
                });
                if (endpoint is null)
                {
                    builder.Configuration.AddInMemoryCollection(DriftWalkthrough.Settings);
                }
                else
                {
                    // The walkthrough's bucket is the one governed asset. Swift has no bucket tagging, so the account's
                    // configuration says its buckets are production and whose they are.
                    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                    {
                        ["Remediation:Accounts:0:Provider"] = "s3",
                        ["Remediation:Accounts:0:Name"] = "acme-aws",
                        ["Remediation:Accounts:0:ServiceUrl"] = endpoint.ServiceUrl.ToString(),
                        ["Remediation:Accounts:0:AccessKeyId"] = endpoint.AccessKeyId,
                        ["Remediation:Accounts:0:SecretAccessKey"] = endpoint.SecretAccessKey,
                        ["Remediation:Accounts:0:Region"] = endpoint.Region,
                        ["Remediation:Accounts:0:BucketPrefix"] = Container,
                        ["Remediation:Accounts:0:Tags:env"] = "prod",
                        ["Remediation:Accounts:0:Tags:owner"] = "platform-security",
                        ["Remediation:Owners:Addresses:platform-security"] = "platform-security@acme.com",
                    });
                }
            });
            await app.StartAsync(cancellationToken);
            var baseAddress = new Uri(app.Urls.First());
            Say($"function app standalone at {baseAddress}");

            using var http = new HttpClient { BaseAddress = baseAddress };
            var health = await http.GetStringAsync(new Uri("/api/health", UriKind.Relative), cancellationToken);
            Say($"first HTTP answer  GET /api/health -> {health}");

            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
                issuer.Issue("demo-operator", "demo.operator", [Role.Operator]));
            var me = await http.GetStringAsync(new Uri("/api/me", UriKind.Relative), cancellationToken);
            Say($"GET /api/me as an operator -> {me}");

            var fired = await FirstHeartbeatAsync(app.Services).WaitAsync(Patience, cancellationToken);
            Say($"timer function Heartbeat fired at {fired:O}");

            IWalkthroughTarget target = endpoint is null
                ? await ContainerTarget.CreateAsync(app.Services.GetRequiredService<StorageAccount>(), cancellationToken)
                : await BucketTarget.CreateAsync(endpoint, cancellationToken);
            Say(target.Created);
            // Drift runs beside the Azure walkthrough: its containers are on the same storage account.
            var drift = endpoint is null ? new DriftWalkthrough(app, http, Say, output) : null;
            if (drift is not null)
            {
                await drift.DefineIntentAsync(cancellationToken);
            }
            await WalkthroughAsync(app, issuer, http, target, Say, output, cancellationToken);
            if (drift is not null)
            {
                await drift.RunAsync(cancellationToken);
            }

            await app.StopAsync(cancellationToken);
            Say("stopped cleanly");
            return 0;
        }
        finally
        {
            if (azurite is not null)
            {
                await azurite.DisposeAsync();
            }
        }
    }

    private static async Task WalkthroughAsync(
        Microsoft.AspNetCore.Builder.WebApplication app, DevelopmentIssuer issuer, HttpClient reader, IWalkthroughTarget target, Action<string> say,
        TextWriter output, CancellationToken cancellationToken)
    {
        var asset = target.Asset;

        var opened = State(await ReachedAsync(reader, asset, ChangeStage.Approval, cancellationToken));
        var id = opened.Id;
        say($"ViolationScan detected it: {id} opened by {opened.RequestedBy}");

        Section(output, "00 · Detection");
        output.WriteLine($"asset: {asset}");
        output.WriteLine($"framework tags: {string.Join(" · ", opened.Ticket.Framework.Prepend(opened.Ticket.Violation.Primary!))}");
        output.WriteLine($"pattern: {opened.Plan.PatternId} {opened.Ticket.Violation.Title}");
        foreach (var evidence in opened.Finding.Evidence)
        {
            output.WriteLine($"evidence: {evidence}");
        }
        Section(output, "01 · Ticket");
        output.WriteLine(opened.Ticket.Render());

        Section(output, "02 · Approval");
        var request = (await app.Services.GetRequiredService<OutboxNotifier>().PendingAsync(cancellationToken))
            .First(n => n.Kind == "change.approval-requested" && n.Data?["changeId"]?.GetValue<string>() == id.ToString());
        output.WriteLine($"push · {request.Recipient}");
        output.WriteLine(request.Summary);
        output.WriteLine("[ Approve ]   [ Deny ]");

        // A different principal than the detector, with the approver role: separation of duties holds. The approver
        // reads the routed seat and why it was routed, then signs it with a rationale and the context pack hash they saw.
        using var approver = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        approver.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            issuer.Issue("nina.ramirez", "nina.ramirez", [Role.Approver]));
        var pending = (await approver.GetFromJsonAsync<JsonObject>(new Uri($"/api/changes/{id}", UriKind.Relative), cancellationToken))!;
        var gate = pending["approvalGate"]!;
        var hash = gate["contextPackSha256"]!.GetValue<string>();
        var seats = gate["seats"]!.AsArray();
        foreach (var seat in seats)
        {
            output.WriteLine($"seat {seat!["seatId"]} → {seat["approver"]} (rule {seat["rule"]}, rules {seat["rulesVersion"]})");
            output.WriteLine($"  routed because: {seat["routedBecause"]}");
        }
        output.WriteLine($"context pack sha256: {hash}");
        const string Rationale = "customer exports must not be public; the fix is reversible for 30 days";
        HttpResponseMessage? tap = null;
        foreach (var seat in seats.Where(s => s!["members"]!.AsArray().Any(m => m!.GetValue<string>() == "nina.ramirez")))
        {
            tap = await approver.PostAsJsonAsync(new Uri($"/api/changes/{id}/approve", UriKind.Relative), new JsonObject
            {
                ["seatId"] = seat!["seatId"]!.GetValue<string>(),
                ["rationale"] = Rationale,
                ["contextPackSha256"] = hash,
            }, cancellationToken);
            tap.EnsureSuccessStatusCode();
        }
        var closed = State(await ReachedAsync(reader, asset, ChangeStage.Closed, cancellationToken));
        var approval = closed.Approval!;
        output.WriteLine($"signed by {approval.ApproverName}: \"{approval.Reason}\"");
        output.WriteLine($"approved by {approval.ApproverName} ({approval.Mode.ToString().ToLowerInvariant()}, {approval.At.UtcDateTime:HH:mm:ss} UTC) -> HTTP {(int)tap!.StatusCode}");
        say($"{id} closed");

        var view = (await approver.GetFromJsonAsync<JsonObject>(new Uri($"/api/changes/{id}", UriKind.Relative), cancellationToken))!;
        var state = State(view);

        Section(output, "03 · Backup");
        foreach (var line in target.Backup(state))
        {
            output.WriteLine(line);
        }
        output.WriteLine($"stored at: {state.BackupLocation}");
        output.WriteLine($"sha256: {state.BackupSha256}");
        output.WriteLine($"retention: {RollbackVault.DefaultRetention.TotalDays:F0} days");

        Section(output, "04 · Fix");
        output.WriteLine("remediation command");
        output.WriteLine(state.Plan.Command);
        output.WriteLine();
        foreach (var check in state.Verification!.Fields)
        {
            output.WriteLine(target.Verified(check));
        }
        output.WriteLine($"status: {(state.Verification.Matches ? "applied" : "mismatch")} ({state.FixAppliedAt!.Value.UtcDateTime:HH:mm:ss.fff} UTC)");
        output.WriteLine(await target.NowAsync(cancellationToken));

        Section(output, "05 · Rollback");
        var bundle = state.Bundle!;
        output.WriteLine("inverse command (stored, not run)");
        output.WriteLine(((InversePlan)bundle.Inverse).Command);
        output.WriteLine();
        output.WriteLine($"bound to: {bundle.ChangeId}");
        output.WriteLine($"TTL: {state.RollbackWindow.TotalDays:0} days (available until {bundle.AvailableUntil!.Value.UtcDateTime:yyyy-MM-dd HH:mm} UTC)");
        output.WriteLine($"stored at: {state.BundleLocation}");

        Section(output, "06 · Alert");
        var closeOut = (await app.Services.GetRequiredService<OutboxNotifier>().PendingAsync(cancellationToken))
            .First(n => n.Kind == "change.closed" && n.Data?["changeId"]?.GetValue<string>() == id.ToString());
        output.WriteLine(closeOut.Recipient);
        output.WriteLine(closeOut.Summary);

        Section(output, $"Orchestration · {id}");
        var orchestration = view["orchestration"]!;
        output.WriteLine($"instance id: {orchestration["instanceId"]} ({orchestration["runtimeStatus"]}: the rollback window is its durable timer)");
        output.WriteLine("history, as the Durable Task engine stored it (Azure Storage backend, task hub on Azurite):");
        var history = await app.Services.GetRequiredService<StandaloneDurableClient>().GetHistoryAsync(id.ToString());
        foreach (var e in history)
        {
            var kind = (EventType)e!["EventType"]!.GetValue<int>();
            if (kind is EventType.OrchestratorStarted or EventType.OrchestratorCompleted)
            {
                continue;
            }
            var name = e["Name"]?.GetValue<string>() ?? "";
            var detail = kind == EventType.TimerCreated ? $"fires {e["FireAt"]!.GetValue<DateTime>():yyyy-MM-dd HH:mm:ss} UTC" : "";
            output.WriteLine($"  {e["Timestamp"]!.GetValue<DateTime>():HH:mm:ss.fff}  {kind,-18} {name,-28} {detail}");
        }
        output.WriteLine("change history (the query model the activities write):");
        foreach (var entry in view["history"]!.AsArray())
        {
            output.WriteLine($"  #{entry!["sequence"],-3} {entry["at"]!.GetValue<DateTimeOffset>().UtcDateTime:HH:mm:ss.fff}  {entry["event"],-30} {entry["from"]} → {entry["to"]}  {entry["actor"]}");
        }

        Section(output, $"Ledger · {id}");
        var ledger = app.Services.GetRequiredService<TableLedger>();
        var head = await ledger.ReadHeadAsync(cancellationToken);
        await foreach (var record in ledger.ReadRangeAsync(0, head.Tree.Size - 1, cancellationToken))
        {
            if (record.Subject == id.ToString())
            {
                output.WriteLine($"#{record.Seq,-4} {record.At.UtcDateTime:HH:mm:ss.fff}  {record.Kind,-30} {record.Actor,-36} {record.Hash[..12]}");
            }
        }
        output.WriteLine();
    }

    private static void Section(TextWriter output, string title)
    {
        output.WriteLine();
        output.WriteLine(title);
    }

    /// <summary>When the Heartbeat timer function first ran, from the row it writes.</summary>
    private static async Task<DateTimeOffset> FirstHeartbeatAsync(IServiceProvider services)
    {
        var table = services.GetRequiredService<StorageAccount>().Tables
            .GetTableClient(HeartbeatFunction.TableName(services.GetRequiredService<StorageNames>()));
        while (true)
        {
            try
            {
                await foreach (var row in table.QueryAsync<Azure.Data.Tables.TableEntity>(maxPerPage: 1))
                {
                    return row.GetDateTimeOffset("FiredAt") ?? row.Timestamp ?? DateTimeOffset.MinValue;
                }
            }
            catch (Azure.RequestFailedException e) when (e.Status == 404)
            {
                // the function has not created its table yet
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System);
        }
    }

    /// <summary>
    /// The change on <paramref name="asset"/> once it has reached <paramref name="stage"/>, as the API shows it. The
    /// demo watches the change list as an operator's console would, a tenth of a second apart.
    /// </summary>
    private static async Task<JsonObject> ReachedAsync(HttpClient reader, AssetId asset, ChangeStage stage, CancellationToken cancellationToken)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(Patience);
        while (true)
        {
            var listed = (await reader.GetFromJsonAsync<JsonArray>(new Uri("/api/changes", UriKind.Relative), patience.Token))!;
            if (listed.FirstOrDefault(c => c!["asset"]!.GetValue<string>() == asset.ToString() && c["stage"]!.GetValue<string>() == stage.Name()) is { } found)
            {
                return (await reader.GetFromJsonAsync<JsonObject>(new Uri($"/api/changes/{found["id"]}", UriKind.Relative), patience.Token))!;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, patience.Token);
        }
    }

    private static ChangeState State(JsonObject view) => view["state"].Deserialize<ChangeState>(RemediationJson.Options)!;
}
