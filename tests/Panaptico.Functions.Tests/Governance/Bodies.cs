using System.Globalization;
using System.Net;
using System.Text;

namespace Panaptico.Functions.Tests.Governance;

/// <summary>Request bodies and artifacts of run TASK-0412, as a client sends them.</summary>
internal static class Bodies
{
    public static readonly object Export = new { id = "export", title = "Config export", kind = "FileExport" };

    public static readonly object[] Task0412Requirements =
    [
        new
        {
            id = "kms-pre",
            title = "KMS ListKeys · pre-snapshot",
            kind = "FileExport",
            check = new { format = "JsonLines", minRows = 1, requiredFields = new[] { "keyId" }, unit = "keys" },
        },
        new
        {
            id = "cloudtrail-rotatekey",
            title = "CloudTrail RotateKey · 14 events",
            kind = "QueryExport",
            check = new { expectedRows = 14, requiredFields = new[] { "keyId" }, fieldEquals = new Dictionary<string, string> { ["eventName"] = "RotateKey" } },
        },
        new
        {
            id = "job-telemetry",
            title = "Job telemetry · 48h post-bake",
            kind = "TelemetryWindow",
            window = new { duration = "PT48H", metric = "job_failure_pct", maxValue = 2, maxSampleGap = "PT1H" },
        },
    ];

    public static object Plan(string id) => new
    {
        id,
        title = "Finance key hygiene",
        waves = new[] { new { id = "W1", number = 1, title = "Key rotation" }, new { id = "W2", number = 2, title = "Consumers" } },
    };

    public static object NewTask(string id, string plan, string wave = "W1", string[]? upstreams = null, object[]? requirements = null, string owner = "tnguyen", string? title = null) => new
    {
        id,
        planId = plan,
        waveId = wave,
        title = title ?? $"Task {id}",
        ownerId = owner,
        upstreamIds = upstreams ?? [],
        requirements = requirements ?? [Export],
    };

    public static object Transition(string action, string reason) => new { action, reason };

    public static object Pack(string impact = "14 CMKs, 28 dependent jobs") => new
    {
        impact,
        workloadDiff = "pre/post plan: rotation disabled → enabled, period 365d",
        changeWindow = new { start = "2026-12-04T02:00:00Z", end = "2026-12-04T04:00:00Z" },
        postureScope = "finance-critical tag",
        reversalTrigger = "roll back auto-rotation at CMK level if > 2% of dependent jobs fail in the 48h bake window",
    };

    /// <summary>A KMS key-policy change in finance: D. Park and Security Engineering, plus the CTO council above 10 systems.</summary>
    public static object KmsRoute(int productionSystems = 6) => new
    {
        attributes = new
        {
            domain = "finance",
            tags = new[] { "finance-critical" },
            changeKinds = new[] { "kms-key-policy" },
            controls = new[] { "SOC2 CC6.7", "ISO27001 A.10.1.2" },
            productionSystemsTouched = productionSystems,
        },
        contextPack = Pack(),
    };

    public static object Sign(string verdict, string rationale, string contextPackSha256) => new { verdict, rationale, contextPackSha256 };

    public static byte[] Keys(int count) =>
        Lines(Enumerable.Range(1, count).Select(i => $"{{\"keyId\":\"key/{i:x4}\",\"arn\":\"arn:aws:kms:us-east-1:412:key/{i:x4}\"}}"));

    public static byte[] RotateKeyEvents(int count) =>
        Lines(Enumerable.Range(1, count).Select(i => $"{{\"eventName\":\"RotateKey\",\"keyId\":\"key/{i:x4}\"}}"));

    /// <summary>Hourly job-failure samples from <paramref name="from"/> to <paramref name="to"/> inclusive.</summary>
    public static byte[] Telemetry(DateTimeOffset from, DateTimeOffset to)
    {
        var lines = new List<string>();
        for (var at = from; at <= to; at += TimeSpan.FromHours(1))
        {
            lines.Add($"{{\"at\":\"{at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}\",\"metric\":\"job_failure_pct\",\"value\":0.4}}");
        }

        return Lines(lines);
    }

    public static byte[] Lines(IEnumerable<string> lines) => Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");

    public static async Task PlanAsync(GovernanceHost host, string planId) =>
        (await host.PostAsync(GovernanceHost.Operator, "/api/plans", Plan(planId))).Is(HttpStatusCode.Created);

    /// <summary>Creates a task, marks it ready and, unless it is blocked, starts it.</summary>
    public static async Task<Reply> ActiveAsync(GovernanceHost host, object task, string id, Person? by = null)
    {
        by ??= GovernanceHost.Operator;
        (await host.PostAsync(by, "/api/tasks", task)).Is(HttpStatusCode.Created);
        var ready = (await host.PostAsync(by, $"/api/tasks/{id}/transitions", Transition("ready", "requirements declared"))).Is(HttpStatusCode.OK);
        return (string?)ready.Body["state"] == "Blocked"
            ? ready
            : (await host.PostAsync(by, $"/api/tasks/{id}/transitions", Transition("start", "work begins"))).Is(HttpStatusCode.OK);
    }

    /// <summary>Uploads the one config export an <see cref="Export"/>-only task needs and completes it.</summary>
    public static async Task<Reply> SealWithExportAsync(GovernanceHost host, string id)
    {
        (await host.UploadAsync(GovernanceHost.Operator, id, "export", "export.json", Encoding.UTF8.GetBytes($"{{\"task\":\"{id}\"}}"), "application/json"))
            .Is(HttpStatusCode.Created);
        return (await host.PostAsync(GovernanceHost.Operator, $"/api/tasks/{id}/complete")).Is(HttpStatusCode.OK);
    }
}
