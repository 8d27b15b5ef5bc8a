using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;
using Panaptico.Core.Evidence;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

/// <summary>
/// Run TASK-0412 of PLAN-0491 ("Enforce KMS auto-rotation · 14 finance-domain CMKs") end to end over HTTP against
/// Azurite: three upstream tasks, three evidence requirements (one a 48 h telemetry window moved on by the fake clock),
/// two routed approvals with their reasons, two downstream tasks blocked until the seal and released by it, the 409
/// before, the sealed bundle after, verified offline as <c>panaptico verify</c> does.
/// </summary>
public sealed class Task0412OverHttpTests : IAsyncLifetime
{
    private GovernanceHost _host = null!;

    public async Task InitializeAsync() => _host = await StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Task_0412_is_locked_until_its_evidence_and_approvals_arrive_then_seals_releases_downstream_and_verifies()
    {
        var host = _host;
        await PlanAsync(host, "PLAN-0491");

        // Three upstream tasks; TASK-0412 blocked on them, and two downstream tasks blocked on TASK-0412.
        await ActiveAsync(host, NewTask("TASK-0408", "PLAN-0491", title: "Snapshot secret refs"), "TASK-0408");
        await ActiveAsync(host, NewTask("TASK-0410", "PLAN-0491", title: "Confirm Secrets Manager usage"), "TASK-0410");
        await ActiveAsync(host, NewTask("TASK-0411", "PLAN-0491", title: "CHG-00582 approved"), "TASK-0411");
        var blocked = await ActiveAsync(host, NewTask("TASK-0412", "PLAN-0491", upstreams: ["TASK-0408", "TASK-0410", "TASK-0411"],
            requirements: Task0412Requirements, title: "Enforce KMS auto-rotation · 14 finance-domain CMKs"), "TASK-0412");
        Assert.Equal("Blocked", (string?)blocked.Body["state"]);
        var early = (await host.PostAsync(Operator, "/api/tasks/TASK-0412/transitions", Transition("start", "eager"))).IsProblem(HttpStatusCode.Conflict);
        Assert.Equal("TASK-0412 is Blocked until TASK-0408, TASK-0410, TASK-0411 seal", early.Detail);

        object[] twoExports = [Export, new { id = "after", title = "After export", kind = "FileExport" }];
        await ActiveAsync(host, NewTask("TASK-0414", "PLAN-0491", "W2", ["TASK-0412"], twoExports, "owner-0414", "Revoke 42 Databricks SPs"), "TASK-0414");
        await ActiveAsync(host, NewTask("TASK-0418", "PLAN-0491", "W2", ["TASK-0412"], twoExports, "owner-0418", "Migrate 11 Jenkins pipelines"), "TASK-0418");

        // The upstreams seal one by one; only the last seal releases TASK-0412, and its owner hears of it.
        foreach (var upstream in new[] { "TASK-0408", "TASK-0410", "TASK-0411" })
        {
            Assert.Equal("Sealed", (string?)(await SealWithExportAsync(host, upstream)).Body["state"]);
        }

        var released = (await host.GetAsync(Operator, "/api/tasks/TASK-0412")).Is(HttpStatusCode.OK);
        Assert.Equal("Ready", (string?)released.Body["state"]);
        Assert.Contains(await host.OutboxAsync(), n => n is { Kind: "task.released", Recipient: "tnguyen", Subject: "TASK-0412 can start" });

        // Approvals routed from the rules file, each with why.
        var routed = (await host.PostAsync(Operator, "/api/tasks/TASK-0412/approvals", KmsRoute())).Is(HttpStatusCode.OK);
        var seats = routed.Body["approvals"]!["seats"]!.AsArray();
        Assert.Equal(2, seats.Count);
        Assert.Equal(("D. Park", "Owns cost envelope & perf SLO for finance", "domain-cost-owner", "2026.04.2"),
            ((string?)seats[0]!["seat"]!["approver"]!["name"], (string?)seats[0]!["seat"]!["routedBecause"], (string?)seats[0]!["seat"]!["ruleId"], (string?)seats[0]!["seat"]!["rulesVersion"]));
        Assert.Equal(("Security Engineering", "KMS policy change intersects SOC2 CC6.7 + ISO27001 A.10.1.2"),
            ((string?)seats[1]!["seat"]!["approver"]!["name"], (string?)seats[1]!["seat"]!["routedBecause"]));
        var packHash = (string)routed.Body["approvals"]!["contextPackHash"]!;
        Assert.Equal(packHash, ContentHash.Sha256HexOfCanonical(routed.Body["contextPack"]));
        Assert.Contains(await host.OutboxAsync(), n => n is { Kind: "approval.requested", Recipient: "security-engineering" });

        // Work: two exports captured, D. Park signs, the bake starts.
        (await host.PostAsync(Operator, "/api/tasks/TASK-0412/transitions", Transition("start", "rotation job scheduled"))).Is(HttpStatusCode.OK);
        var keys = (await host.UploadAsync(Operator, "TASK-0412", "kms-pre", "kms-listkeys.jsonl", Keys(312))).Is(HttpStatusCode.Created);
        Assert.Equal(("Accepted", "312 keys"), ((string?)keys.Body["artifact"]!["outcome"], (string?)keys.Body["requirement"]!["detail"]));
        (await host.UploadAsync(Operator, "TASK-0412", "cloudtrail-rotatekey", "cloudtrail-rotatekey.ndjson", RotateKeyEvents(14))).Is(HttpStatusCode.Created);
        (await host.PostAsync(DPark, "/api/tasks/TASK-0412/approvals/domain-cost-owner",
            Sign("approve", "Rotation window lands in low-traffic hours; cost delta contained to the finance envelope.", packHash))).Is(HttpStatusCode.OK);
        var bakeStart = host.Time.GetUtcNow();
        (await host.PostAsync(Operator, "/api/tasks/TASK-0412/evidence/job-telemetry/window", new { reason = "rotation applied; bake starts" })).Is(HttpStatusCode.OK);

        // 24 h into the bake: held, two gates open, and "complete" answers exactly what unlocks it.
        host.Time.Advance(TimeSpan.FromHours(24));
        var pending = (await host.UploadAsync(Operator, "TASK-0412", "job-telemetry", "job-telemetry.jsonl", Telemetry(bakeStart, host.Time.GetUtcNow()))).Is(HttpStatusCode.Created);
        Assert.Equal("Pending", (string?)pending.Body["artifact"]!["outcome"]);
        (await host.PostAsync(Operator, "/api/tasks/TASK-0412/transitions", Transition("hold", "waiting on the bake and Security Engineering"))).Is(HttpStatusCode.OK);

        var held = (await host.GetAsync(Auditor, "/api/tasks/TASK-0412")).Is(HttpStatusCode.OK).Body;
        Assert.Equal("Held · 2 gates", (string?)held["stateLabel"]);
        Assert.Equal("2 / 3 captured", (string?)held["evidence"]!["progress"]);
        Assert.Equal(["312 keys", "14 rows", "24h remaining"], held["evidence"]!["requirements"]!.AsArray().Select(r => (string?)r!["detail"]));
        Assert.Equal("1 / 2 signed", (string?)held["approvals"]!["progress"]);
        Assert.StartsWith("Approved · ", (string?)held["approvals"]!["seats"]![0]!["status"], StringComparison.Ordinal);
        Assert.StartsWith("Awaiting · routed ", (string?)held["approvals"]!["seats"]![1]!["status"], StringComparison.Ordinal);
        Assert.Equal("3 / 3 cleared", (string?)held["dependencies"]!["progress"]);
        Assert.Equal("Blocked downstream: 2 tasks, 4 evidence artifacts", (string?)held["blockedDownstream"]!["text"]);
        Assert.Equal("unlocks when 1 evidence artifact arrives + 1 approval returns", (string?)held["completion"]!["unlocks"]);

        var locked = (await host.PostAsync(Operator, "/api/tasks/TASK-0412/complete")).IsProblem(HttpStatusCode.Conflict);
        Assert.Equal("unlocks when 1 evidence artifact arrives + 1 approval returns", locked.Detail);
        Assert.Equal("gate-open", (string?)locked.Body["code"]);
        Assert.Equal((1, 1, 0), ((int)locked.Body["evidenceArtifacts"]!, (int)locked.Body["approvals"]!, (int)locked.Body["upstreamTasks"]!));
        Assert.Equal(["evidence job-telemetry", "approval kms-policy-controls"],
            locked.Body["conditions"]!.AsArray().Select(c => $"{c!["gate"]} {c["subject"]}"));
        Assert.Equal("Job telemetry · 48h post-bake: 24h remaining, then capture the telemetry covering the window",
            (string?)locked.Body["conditions"]![0]!["text"]);
        var afterLock = (await host.GetAsync(Operator, "/api/tasks/TASK-0412")).Body;
        Assert.Equal(((long)held["version"]!, "Held"), ((long)afterLock["version"]!, (string?)afterLock["state"]));

        // The window elapses with the condition held; M. Alvarez signs for Security Engineering.
        host.Time.Advance(TimeSpan.FromHours(24));
        var window = (await host.UploadAsync(Operator, "TASK-0412", "job-telemetry", "job-telemetry.jsonl", Telemetry(bakeStart, host.Time.GetUtcNow()))).Is(HttpStatusCode.Created);
        Assert.Equal("48h held · peak 0.4 ≤ 2", (string?)window.Body["requirement"]!["detail"]);
        (await host.PostAsync(MAlvarez, "/api/tasks/TASK-0412/approvals/kms-policy-controls",
            Sign("approve", "Key policy unchanged beyond rotation; CC6.7 and A.10.1.2 evidence in the bundle.", packHash))).Is(HttpStatusCode.OK);
        var clear = (await host.GetAsync(Operator, "/api/tasks/TASK-0412")).Body;
        Assert.Equal(("3 / 3 captured", "2 / 2 signed", "Held"),
            ((string?)clear["evidence"]!["progress"], (string?)clear["approvals"]!["progress"], (string?)clear["stateLabel"]));

        // Complete seals the bundle and releases exactly the two downstream tasks, whose owners are told.
        var sealedTask = (await host.PostAsync(Operator, "/api/tasks/TASK-0412/complete")).Is(HttpStatusCode.OK).Body;
        var digest = (string)sealedTask["bundle"]!["digest"]!;
        Assert.Equal(("Sealed", digest), ((string?)sealedTask["state"], (string?)sealedTask["seal"]!["bundleDigest"]));
        Assert.Equal(["TASK-0414", "TASK-0418"], sealedTask["released"]!.AsArray().Select(r => (string?)r));
        foreach (var downstream in new[] { "TASK-0414", "TASK-0418" })
        {
            Assert.Equal("Ready", (string?)(await host.GetAsync(Operator, $"/api/tasks/{downstream}")).Body["state"]);
        }

        // (The outbox orders by clock tick, and the fake clock did not move between the two.)
        var outbox = await host.OutboxAsync();
        Assert.Equal(["owner-0414", "owner-0418"], outbox.Where(n => n.Kind == "task.released" && n.Recipient != "tnguyen").Select(n => n.Recipient).Order());

        // Every transition of TASK-0412 is on the ledger with its actor and reason, and the seal with its digest.
        var ledger = await host.LedgerAsync();
        var transitions = ledger.Where(r => r.Subject == "TASK-0412" && r.Kind.StartsWith("task.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["task.created", "task.blocked", "task.released", "task.started", "task.held", "task.sealed"], transitions.Select(r => r.Kind));
        Assert.All(ledger.Where(r => r.Stream == "governance"), r => Assert.False(string.IsNullOrWhiteSpace((string?)r.Data!["reason"])));
        Assert.Equal(digest, (string?)transitions[^1].Data!["bundleDigest"]);
        Assert.Contains(ledger, r => r is { Stream: "evidence", Kind: "bundle.sealed", Subject: "TASK-0412" } && (string?)r.Data!["bundleDigest"] == digest);

        // The auditor exports the sealed bundle in the offline layout, and it verifies as `panaptico verify` checks it.
        (await host.GetAsync(Operator, "/api/tasks/TASK-0412/bundle")).IsProblem(HttpStatusCode.Forbidden);
        var report = await VerifyExportedBundleAsync(digest);
        Assert.True(report.Verified, string.Join("; ", report.Failures.Select(f => $"{f.Target}: {f.Detail}")));
        Assert.Equal(["kms-listkeys.jsonl", "cloudtrail-rotatekey.ndjson", "job-telemetry.jsonl"], report.Manifest!.Artifacts.Select(a => a.Name));
        Assert.Equal(["domain-cost-owner", "kms-policy-controls"], report.Manifest.Approvals.Select(a => a.Seat));
        Assert.All(report.Manifest.Approvals, a => Assert.Equal(packHash, a.ContextPackSha256));
        Assert.Equal(["TASK-0408", "TASK-0410", "TASK-0411"], report.Manifest.UpstreamSeals.Select(s => s.Subject.Id));

        using var jsonRequest = new HttpRequestMessage(HttpMethod.Get, "/api/tasks/TASK-0412/bundle") { Headers = { { "Accept", "application/json" } } };
        var asJson = JsonNode.Parse(await (await host.Client(Auditor).SendAsync(jsonRequest)).Content.ReadAsStringAsync())!;
        Assert.Equal((digest, "application/vnd.in-toto+json"), ((string?)asJson["digest"], (string?)asJson["envelope"]!["payloadType"]));
        Assert.Equal(digest, ContentHash.Sha256HexOfCanonical(asJson["manifest"]));
    }

    /// <summary>Downloads the zip, unpacks it, and runs the offline checks of <c>panaptico verify</c> on the directory.</summary>
    private async Task<BundleVerificationReport> VerifyExportedBundleAsync(string digest)
    {
        var response = await _host.Client(Auditor).GetAsync("/api/tasks/TASK-0412/bundle");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        var directory = Path.Combine(Path.GetTempPath(), "panaptico-verify-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var zip = await response.Content.ReadAsStreamAsync())
            {
                await ZipFile.ExtractToDirectoryAsync(zip, directory);
            }

            var envelope = DsseEnvelope.Parse(await File.ReadAllTextAsync(Path.Combine(directory, BundleLayout.EnvelopeFile)));
            var keyring = Keyring.Parse(await File.ReadAllTextAsync(Path.Combine(directory, BundleLayout.KeyringFile)));
            var report = await BundleVerifier.VerifyAsync(envelope, keyring, (sha256, _) =>
            {
                var file = Path.Combine(directory, BundleLayout.ArtifactsDirectory, sha256);
                return ValueTask.FromResult<Stream?>(File.Exists(file) ? File.OpenRead(file) : null);
            }, CancellationToken.None);

            // The readable manifest copy must be the signed one, byte for byte, as the CLI also checks.
            var (_, canonical) = InTotoStatement.ReadManifest(envelope);
            Assert.Equal(canonical, await File.ReadAllBytesAsync(Path.Combine(directory, BundleLayout.ManifestFile)));
            Assert.Equal(digest, report.ManifestDigest);
            Assert.Equal(3, Directory.GetFiles(Path.Combine(directory, BundleLayout.ArtifactsDirectory)).Length);
            return report;
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
