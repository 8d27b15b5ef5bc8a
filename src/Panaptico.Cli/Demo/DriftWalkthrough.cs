using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Core.Evidence;
using Panaptico.Functions.Drift;
using Panaptico.Storage.Account;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Notifications;

namespace Panaptico.Cli.Demo;

/// <summary>
/// The drift section of the walkthrough: intent for four of the seed's objects (imported as YAML before the
/// remediation walkthrough, so its close-out becomes the reason of record of the container it fixed), then three
/// changes behind the graph's back — a person at the console (an Activity Log record says who), a Terraform run
/// (its run record arrives from Terraform Cloud) and one nobody owns up to — two sweeps a settle window apart, and
/// the feed with its counters.
/// </summary>
internal sealed class DriftWalkthrough(
    Microsoft.AspNetCore.Builder.WebApplication app, HttpClient operatorClient, Action<string> say, TextWriter output)
{
    /// <summary>The demo's settle window: the product's default is 15 minutes.</summary>
    public static readonly TimeSpan SettleWindow = TimeSpan.FromSeconds(5);

    private const string Reports = "acme-finance-reports";
    private const string Archive = "acme-ledger-archive";
    private const string Warehouse = "snowflake/warehouse/REPORTING_WH";
    private const string ArmAccount = "/subscriptions/5c1e0000-0000-4000-8000-00000000f1a0/resourceGroups/rg-finance/providers/Microsoft.Storage/storageAccounts/";

    /// <summary>The settings the demo's app runs with for drift: sweeps only when the demo starts them, a short settle window.</summary>
    public static Dictionary<string, string?> Settings => new()
    {
        [DriftSweepFunctions.ScheduleSetting] = "0 0 0 1 1 *",
        ["Drift:SettleWindow"] = SettleWindow.ToString(),
        // Drift events go to the app's own Event Grid webhook, which takes a function key.
        ["Functions:Keys:default"] = "demo-function-key",
    };

    private StorageAccount Storage => app.Services.GetRequiredService<StorageAccount>();

    private string Account => Storage.Blobs.AccountName;

    private string Asset(string container) => $"azure-blob://{Account}/{container}";

    /// <summary>Creates the containers the graph describes (as intended) and imports the graph.</summary>
    public async Task DefineIntentAsync(CancellationToken cancellationToken)
    {
        await Container(Reports).CreateAsync(PublicAccessType.None, new Dictionary<string, string> { ["classification"] = "confidential" }, cancellationToken: cancellationToken);
        await Container(Archive).CreateAsync(PublicAccessType.None, new Dictionary<string, string> { ["classification"] = "restricted" }, cancellationToken: cancellationToken);
        var yaml = $$"""
            version: 1
            objects:
              - id: {{Asset(DemoCommand.Container)}}
                kind: blob-container
                system: azure
                connector: azure-storage
                scope: finance-prod
                owner: { team: platform-security, onCall: oncall-platform, approverOfRecord: nina.ramirez }
                fields:
                  publicAccess: { value: none, reason: { kind: change-record, id: CHG-00411 } }
              - id: {{Asset(Reports)}}
                kind: blob-container
                system: azure
                connector: azure-storage
                scope: finance-prod
                aliases: [{{ArmAccount}}{{Account}}/blobServices/default/containers/{{Reports}}]
                owner: { team: finance-platform, onCall: oncall-finance, approverOfRecord: dpark }
                fields:
                  metadata.classification: { value: confidential, reason: { kind: change-record, id: CHG-00512 } }
                  publicAccess: { value: none, reason: { kind: change-record, id: CHG-00512 } }
              - id: {{Asset(Archive)}}
                kind: blob-container
                system: azure
                connector: azure-storage
                scope: finance-prod
                aliases: [{{ArmAccount}}{{Account}}/blobServices/default/containers/{{Archive}}]
                owner: { team: finance-platform, onCall: oncall-finance, approverOfRecord: dpark }
                fields:
                  accessPolicies: { value: [], reason: { kind: decision-record, id: DR-0198 } }
              - id: {{Warehouse}}
                kind: warehouse
                system: snowflake
                connector: snapshot
                scope: account/acme
                workspace: finance-prod
                owner: { team: data-platform, onCall: oncall-data, approverOfRecord: rlee }
                fields:
                  size: { value: Large, reason: { kind: terraform-run, id: run-Vc2pXq8TfRr4hL1w } }
                  maxClusterCount: { value: 3, reason: { kind: terraform-run, id: run-Vc2pXq8TfRr4hL1w } }
            """;
        using var content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        var imported = await operatorClient.PostAsync(new Uri("/api/drift/graph/import", UriKind.Relative), content, cancellationToken);
        await Ensure(imported, "import the implementation graph", cancellationToken);
        say("intent imported as YAML: 4 objects (3 containers read live from Azure Storage, 1 Snowflake warehouse pushed as snapshots)");
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Section("Drift · the implementation graph");
        // The close-out makes the walkthrough's change the reason of record (until then it is CHG-00411).
        var walkthroughIntent = await WaitForIntentAsync(Asset(DemoCommand.Container), "publicAccess",
            intent => intent["reason"]!["id"]!.GetValue<string>() != "CHG-00411", cancellationToken);
        output.WriteLine($"{Asset(DemoCommand.Container)} publicAccess = {walkthroughIntent["value"]}");
        output.WriteLine($"  reason of record: {walkthroughIntent["reason"]!["kind"]} {walkthroughIntent["reason"]!["id"]} ({walkthroughIntent["reason"]?["detail"]})");
        output.WriteLine("  (the remediation walkthrough's close-out: the next sweep sees its fix as intended, not as drift)");
        var graph = (await operatorClient.GetFromJsonAsync<JsonObject>(new Uri("/api/drift/graph", UriKind.Relative), cancellationToken))!;
        output.WriteLine($"graph version {graph["version"]}: {string.Join(", ", graph["objects"]!.AsArray().Select(o => o!["id"]!.GetValue<string>()))}");

        Section("Drift · three changes behind the graph's back");
        var at = DateTimeOffset.UtcNow;
        // A person at the console reclassifies the reports container; the Activity Log records who.
        await Container(Reports).SetMetadataAsync(new Dictionary<string, string> { ["classification"] = "public" }, cancellationToken: cancellationToken);
        await PostSourceAsync("activity-log", ActivityLogRecord($"{ArmAccount}{Account}/blobServices/default/containers/{Reports}", at.AddSeconds(-20), "john@contoso.com"), cancellationToken);
        output.WriteLine($"console: john@contoso.com set {Reports} classification confidential → public (Activity Log record posted)");

        // Terraform Cloud resizes the warehouse; the collector pushes the new state, Terraform Cloud the run.
        await PostSnapshotAsync(at, cancellationToken);
        await PostSourceAsync("terraform-run", TerraformRun(at.AddMinutes(-2), at.AddSeconds(-40)), cancellationToken);
        output.WriteLine($"terraform: run-SFSeL9fg6Kibje8L in workspace finance-prod resized {Warehouse} Large → X-Large (snapshot and run posted)");

        // Someone adds a stored access policy (a standing SAS) to the archive, and no record of it arrives.
        var archive = Container(Archive);
        await archive.SetAccessPolicyAsync(permissions:
        [
            new BlobSignedIdentifier
            {
                Id = "ext-share",
                AccessPolicy = new BlobAccessPolicy { PolicyStartsOn = at.AddMinutes(-1), PolicyExpiresOn = at.AddDays(365), Permissions = "rl" },
            },
        ], cancellationToken: cancellationToken);
        output.WriteLine($"unknown: a stored access policy 'ext-share' (read, list; one year) appeared on {Archive}, no record of who");

        var client = app.Services.GetRequiredService<DurableTaskClient>();
        var first = Occurrence(DateTimeOffset.UtcNow);
        var feed = await SweepAsync(client, first, cancellationToken);
        Section($"Drift · sweep {feed["sweepId"]} (started as the minute timer starts it)");
        PrintCounters(feed);
        output.WriteLine($"pending its settle window ({SettleWindow.TotalSeconds:0} s here, 15 min by default): {feed["counters"]!["pending"]} drift");

        var second = Occurrence(first + SettleWindow + TimeSpan.FromSeconds(1));
        while (DateTimeOffset.UtcNow < second)
        {
            await Task.Delay(second - DateTimeOffset.UtcNow, TimeProvider.System, cancellationToken);
        }
        feed = await SweepAsync(client, second, cancellationToken);
        Section($"Drift · sweep {feed["sweepId"]}, after the settle window");
        PrintCounters(feed);

        Section($"Drift · {feed["id"]} (policy {feed["policy"]}, graph v{feed["graphVersion"]})");
        output.WriteLine(feed["summary"]!.GetValue<string>());
        foreach (var row in feed["rows"]!.AsArray())
        {
            output.WriteLine();
            output.WriteLine($"{row!["class"]!.GetValue<string>().ToUpperInvariant()} · {row["rowId"]} · rule {row["rule"]}");
            foreach (var drift in row["drifts"]!.AsArray())
            {
                output.WriteLine($"  {drift!["object"]} {drift["field"]}: intended {drift["intended"]!["value"]!.ToJsonString()} (reason {drift["intended"]!["reason"]!["id"]}), live {drift["live"]?.ToJsonString() ?? "absent"}");
            }
            output.WriteLine($"  {row["attribution"]!["text"]}");
            foreach (var action in row["actions"]!.AsArray())
            {
                output.WriteLine($"  → {action!["kind"]}: {action["summary"]}");
            }
        }

        Section("Drift · what the sweep did");
        var frozen = (await archive.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.Metadata;
        output.WriteLine($"{Archive} frozen: panaptico_frozen = {(frozen.TryGetValue("panaptico_frozen", out var flag) ? flag : "(not set)")}");
        foreach (var n in (await app.Services.GetRequiredService<OutboxNotifier>().PendingAsync(cancellationToken)).Where(n => n.Kind.StartsWith("drift.", StringComparison.Ordinal)))
        {
            output.WriteLine($"{n.Kind} → {n.Recipient}: {n.Summary}");
        }
        var critical = feed["rows"]!.AsArray().FirstOrDefault(r => r!["class"]!.GetValue<string>() == "critical");
        if (critical is not null)
        {
            var bundles = await app.Services.GetRequiredService<BundleStore>().ListAsync(new BundleSubject(BundleSubject.Drift, critical["rowId"]!.GetValue<string>()), cancellationToken);
            foreach (var bundle in bundles)
            {
                output.WriteLine($"forensic bundle sealed: {bundle.Subject} sha256 {bundle.Digest} at {bundle.SealedAt.UtcDateTime:HH:mm:ss} UTC");
            }
        }
        var warehouse = await WaitForIntentAsync(Warehouse, "size", intent => intent["value"]?.ToString() == "X-Large", cancellationToken);
        output.WriteLine($"{Warehouse} size re-baselined to {warehouse["value"]} (reason {warehouse["reason"]!["kind"]} {warehouse["reason"]!["id"]})");
        var history = (await operatorClient.GetFromJsonAsync<JsonObject>(
            new Uri($"/api/drift/objects/{Uri.EscapeDataString(Asset(Reports))}/fields/metadata.classification/history", UriKind.Relative), cancellationToken))!;
        output.WriteLine($"{Reports} metadata.classification history: {string.Join(", ", history["events"]!.AsArray().Select(e => e!["event"]?["event"]?.GetValue<string>()))}");
        say("drift: two sweeps, the feed printed");
    }

    private void PrintCounters(JsonObject feed)
    {
        var c = feed["counters"]!;
        output.WriteLine($"fields checked {c["fieldsChecked"]} · drifted {c["drifted"]} · attributed {c["attributed"]} · unknown source {c["unknown"]} · pending {c["pending"]}");
        output.WriteLine(feed["summary"]!.GetValue<string>());
    }

    private async Task<JsonObject> SweepAsync(DurableTaskClient client, DateTimeOffset occurrence, CancellationToken cancellationToken)
    {
        await DriftSweepFunctions.StartAsync(client, occurrence, cancellationToken);
        var instance = DriftSweepFunctions.InstanceId(DriftSweepFunctions.SweepId(occurrence));
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(TimeSpan.FromSeconds(60));
        var done = await client.WaitForInstanceCompletionAsync(instance, getInputsAndOutputs: true, patience.Token);
        if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
        {
            throw new InvalidOperationException($"sweep {instance}: {done.RuntimeStatus} {done.FailureDetails?.ErrorMessage}");
        }
        say($"{instance}: {done.ReadOutputAs<string>()}");
        return (await operatorClient.GetFromJsonAsync<JsonObject>(new Uri("/api/drift/feed", UriKind.Relative), cancellationToken))!;
    }

    /// <summary>A field's intent, once <paramref name="until"/> holds for it (the graph changes in activities), or as it is after 30 s.</summary>
    private async Task<JsonObject> WaitForIntentAsync(string objectId, string field, Func<JsonObject, bool> until, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (true)
        {
            var graph = (await operatorClient.GetFromJsonAsync<JsonObject>(new Uri("/api/drift/graph", UriKind.Relative), cancellationToken))!;
            var intent = graph["objects"]!.AsArray().First(o => o!["id"]!.GetValue<string>() == objectId)!["fields"]![field]!.AsObject();
            if (until(intent) || DateTimeOffset.UtcNow > deadline)
            {
                return intent;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, cancellationToken);
        }
    }

    private async Task PostSourceAsync(string kind, JsonNode record, CancellationToken cancellationToken)
    {
        using var content = new StringContent(record.ToJsonString(), Encoding.UTF8, "application/json");
        await Ensure(await operatorClient.PostAsync(new Uri($"/api/drift/sources/{kind}", UriKind.Relative), content, cancellationToken), $"post a {kind} record", cancellationToken);
    }

    private async Task PostSnapshotAsync(DateTimeOffset at, CancellationToken cancellationToken)
    {
        var snapshot = new JsonObject
        {
            ["snapshotId"] = $"sf-{at:yyyyMMddHHmmss}",
            ["objectId"] = Warehouse,
            ["system"] = "snowflake",
            ["kind"] = "warehouse",
            ["observedAt"] = at.ToString("O"),
            ["state"] = new JsonObject
            {
                ["name"] = "REPORTING_WH",
                ["size"] = "X-Large",
                ["autoSuspend"] = 600,
                ["autoResume"] = true,
                ["minClusterCount"] = 1,
                ["maxClusterCount"] = 3,
                ["scalingPolicy"] = "STANDARD",
            },
        };
        using var content = new StringContent(snapshot.ToJsonString(), Encoding.UTF8, "application/json");
        await Ensure(await operatorClient.PostAsync(new Uri($"/api/drift/snapshots/{Uri.EscapeDataString(Warehouse)}", UriKind.Relative), content, cancellationToken), "push the warehouse snapshot", cancellationToken);
    }

    private static JsonObject ActivityLogRecord(string resource, DateTimeOffset at, string caller) =>
        new()
        {
            ["eventDataId"] = $"ad1c1d5e-0000-4000-8000-{at:HHmmssfff}000",
            ["caller"] = caller,
            ["claims"] = new JsonObject { ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"] = caller, ["ipaddr"] = "203.0.113.7" },
            ["correlationId"] = $"c0ffee00-0000-4000-8000-{at:HHmmssfff}000",
            ["operationName"] = new JsonObject { ["value"] = "Microsoft.Storage/storageAccounts/blobServices/containers/write", ["localizedValue"] = "Put blob container" },
            ["status"] = new JsonObject { ["value"] = "Succeeded", ["localizedValue"] = "Succeeded" },
            ["eventTimestamp"] = at.ToString("O"),
            ["submissionTimestamp"] = at.AddSeconds(10).ToString("O"),
            ["resourceId"] = resource,
        };

    /// <summary>A Terraform Cloud run as its API returns it (JSON:API, with the workspace, user and ingress attributes included).</summary>
    private static JsonNode TerraformRun(DateTimeOffset applying, DateTimeOffset applied) => JsonNode.Parse("""
        {"data":{"id":"run-SFSeL9fg6Kibje8L","type":"runs",
          "attributes":{"status":"applied","source":"tfe-configuration-version","refresh-only":false,"message":"Merge pull request #311 (CHG-00604) from finance/etl",
            "status-timestamps":{"plan-queued-at":"QUEUED","planned-at":"PLANNED","applying-at":"APPLYING","applied-at":"APPLIED"}},
          "relationships":{"workspace":{"data":{"id":"ws-2Qhk7LHgbMrm3NXe","type":"workspaces"}},
            "created-by":{"data":{"id":"user-0001","type":"users"}},
            "configuration-version":{"data":{"id":"cv-ntv3HbhJqvFzamy7","type":"configuration-versions"}}}},
         "included":[
          {"id":"ws-2Qhk7LHgbMrm3NXe","type":"workspaces","attributes":{"name":"finance-prod"}},
          {"id":"user-0001","type":"users","attributes":{"username":"tfc-finance-bot"}},
          {"id":"cv-ntv3HbhJqvFzamy7","type":"configuration-versions","relationships":{"ingress-attributes":{"data":{"id":"ia-i4MrTxmQXYxH2nYD","type":"ingress-attributes"}}}},
          {"id":"ia-i4MrTxmQXYxH2nYD","type":"ingress-attributes","attributes":{"branch":"main","commit-sha":"a4f2c0de5b7e11aa09f3e991","commit-url":"https://github.com/acme/finance-infra/commit/a4f2c0de5b7e11aa09f3e991","sender-username":"j.tran","pull-request-number":311}}]}
        """
        .Replace("QUEUED", $"{applying.AddMinutes(-1):O}", StringComparison.Ordinal)
        .Replace("PLANNED", $"{applying.AddSeconds(-20):O}", StringComparison.Ordinal)
        .Replace("APPLYING", $"{applying:O}", StringComparison.Ordinal)
        .Replace("APPLIED", $"{applied:O}", StringComparison.Ordinal))!;

    private static DateTimeOffset Occurrence(DateTimeOffset at) => new(at.Year, at.Month, at.Day, at.Hour, at.Minute, at.Second, TimeSpan.Zero);

    private BlobContainerClient Container(string name) => Storage.Blobs.GetBlobContainerClient(name);

    private static async Task Ensure(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"could not {what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    private void Section(string title)
    {
        output.WriteLine();
        output.WriteLine(title);
    }
}
