using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Panaptico.Core.Canonical;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;

namespace Panaptico.Core.Tests.Governance;

/// <summary>The people, rules, plan and artifacts of run TASK-0412 (PLAN-0491), shared by the governance tests.</summary>
internal static class Sample
{
    public static readonly DateTimeOffset Start = new(2026, 4, 21, 13, 0, 0, TimeSpan.Zero);

    public static readonly Principal Operator = Person("op.rivera", "P. Rivera", Role.Operator);
    public static readonly Principal Owner = Person("tnguyen", "T. Nguyen", Role.Operator);
    public static readonly Principal DPark = Person("dpark", "D. Park", Role.Approver);
    public static readonly Principal MAlvarez = Person("malvarez", "M. Alvarez", Role.Approver);
    public static readonly Principal JChen = Person("jchen", "J. Chen", Role.Approver);
    public static readonly Principal SKim = Person("skim", "S. Kim", Role.Approver);
    public static readonly Principal ANovak = Person("anovak", "A. Novak", Role.Approver);
    public static readonly Principal Auditor = Person("audit.ward", "E. Ward", Role.Auditor);

    public static readonly ApprovalRules Rules = ApprovalRules.Parse(File.ReadAllText(RulesFile));

    public static readonly Plan Plan = Plan.Create(
        "PLAN-0491", "Finance key hygiene", [new Wave("W1", 1, "Key rotation"), new Wave("W2", 2, "Consumers")], Operator, Start).Value!;

    /// <summary>A KMS key-policy change in finance touching 6 production systems: routes D. Park and Security Engineering.</summary>
    public static readonly ChangeAttributes KmsChange = new("finance")
    {
        Tags = ["finance-critical"],
        ChangeKinds = ["kms-key-policy"],
        Controls = ["SOC2 CC6.7", "ISO27001 A.10.1.2"],
        ProductionSystemsTouched = 6,
    };

    public static readonly ContextPack Pack = new(
        Impact: "14 CMKs, 28 dependent jobs",
        WorkloadDiff: "pre/post plan: rotation disabled → enabled, period 365d",
        ChangeWindow: new ChangeWindow(new DateTimeOffset(2026, 5, 4, 2, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 5, 4, 4, 0, 0, TimeSpan.Zero)),
        PostureScope: "finance-critical tag",
        ReversalTrigger: "roll back auto-rotation at CMK level if > 2% of dependent jobs fail in the 48h bake window");

    public static readonly ImmutableArray<EvidenceRequirement> Task0412Requirements =
    [
        new("kms-pre", "KMS ListKeys · pre-snapshot", EvidenceKind.FileExport)
        {
            Check = new EvidenceCheck { MinRows = 1, RequiredFields = ["keyId"], Unit = "keys" },
        },
        new("cloudtrail-rotatekey", "CloudTrail RotateKey · 14 events", EvidenceKind.QueryExport)
        {
            Check = new EvidenceCheck
            {
                ExpectedRows = 14,
                RequiredFields = ["keyId"],
                FieldEquals = ImmutableSortedDictionary.CreateRange([KeyValuePair.Create("eventName", "RotateKey")]),
            },
        },
        new("job-telemetry", "Job telemetry · 48h post-bake", EvidenceKind.TelemetryWindow)
        {
            Window = new TelemetryWindowSpec(TimeSpan.FromHours(48), "job_failure_pct", 2, TimeSpan.FromHours(1)),
        },
    ];

    public static readonly EvidenceRequirement AnyFile = new("export", "Config export", EvidenceKind.FileExport);

    private static string RulesFile
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "src", "Panaptico.Core", "Governance", "Approvals", "approval-routes.sample.yaml");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException("approval-routes.sample.yaml not found above the test binaries");
        }
    }

    public static Principal Person(string id, string name, params string[] roles) => new(id, name, roles.ToHashSet());

    public static NewTask Task(string id, string wave = "W1", params string[] upstreams) =>
        new(id, Plan.Id, wave, $"Task {id}", Owner.Id) { UpstreamIds = [.. upstreams], Requirements = [AnyFile] };

    public static ArtifactContent Keys(int count, string name = "kms-listkeys.jsonl") =>
        Ndjson(name, Enumerable.Range(1, count).Select(i => $"{{\"keyId\":\"key/{i:x4}\",\"arn\":\"arn:aws:kms:us-east-1:412:key/{i:x4}\"}}"));

    public static ArtifactContent RotateKeyEvents(int count, string eventName = "RotateKey") =>
        Ndjson("cloudtrail-rotatekey.ndjson", Enumerable.Range(1, count).Select(i => $"{{\"eventName\":\"{eventName}\",\"keyId\":\"key/{i:x4}\"}}"));

    /// <summary>Hourly samples from <paramref name="from"/> to <paramref name="to"/> inclusive.</summary>
    public static ArtifactContent Telemetry(DateTimeOffset from, DateTimeOffset to, Func<DateTimeOffset, double>? value = null, TimeSpan? step = null)
    {
        var lines = new List<string>();
        for (var at = from; at <= to; at += step ?? TimeSpan.FromHours(1))
        {
            var v = (value ?? (_ => 0.4))(at).ToString(CultureInfo.InvariantCulture);
            lines.Add($"{{\"at\":\"{at.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}\",\"metric\":\"job_failure_pct\",\"value\":{v}}}");
        }

        return Ndjson("job-telemetry.jsonl", lines);
    }

    public static ArtifactContent ConfigFile(string name = "export.json", string text = "{\"ok\":true}") =>
        new(name, "application/json", Encoding.UTF8.GetBytes(text));

    public static string DigestOf(string text) => ContentHash.Sha256Hex(Encoding.UTF8.GetBytes(text));

    /// <summary>Creates a task, marks it ready and starts it.</summary>
    public static TaskRecord Active(Journal journal, NewTask spec, DateTimeOffset now, params GovernedTask[] upstreams)
    {
        var created = journal.Ok(TaskLifecycle.Create(Plan, spec, upstreams, Operator, now)).Record;
        var ready = journal.Ok(TaskLifecycle.MarkReady(created, Operator, "requirements declared", now));
        return journal.Ok(TaskLifecycle.Start(ready, Operator, "work begins", now));
    }

    /// <summary>Captures the one config export an <see cref="Task"/> requires, completes and seals it.</summary>
    public static TaskRecord SealWithExport(Journal journal, TaskRecord active, DateTimeOffset now, params GovernedTask[] upstreams)
    {
        var captured = journal.Ok(EvidenceGate.Capture(active, AnyFile.Id, ConfigFile(), Operator, now));
        journal.Ok(TaskLifecycle.Complete(captured, upstreams, Operator, now));
        return journal.Ok(TaskLifecycle.Seal(captured, DigestOf(active.Id), Operator, now));
    }

    public static ArtifactContent Ndjson(string name, IEnumerable<string> lines) =>
        new(name, "application/x-ndjson", Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
}

/// <summary>Applies accepted decisions and keeps what the caller would append and send, so tests can read the ledger.</summary>
internal sealed class Journal
{
    public List<LedgerEntry> Ledger { get; } = [];

    public List<Notification> Notifications { get; } = [];

    public T Ok<T>(Decision<T> decision)
        where T : class
    {
        Assert.True(decision.IsAccepted, decision.Refusal?.Message);
        Ledger.AddRange(decision.Ledger);
        Notifications.AddRange(decision.Notifications);
        return decision.Value;
    }

    /// <summary>Asserts a refusal that changed nothing: no state, no ledger entry, no notification.</summary>
    public static Refusal Refused<T>(Decision<T> decision, RefusalCode code)
        where T : class
    {
        Assert.False(decision.IsAccepted, "expected a refusal");
        Assert.Equal(code, decision.Refusal.Code);
        Assert.Null(decision.Value);
        Assert.Empty(decision.Ledger);
        Assert.Empty(decision.Notifications);
        return decision.Refusal;
    }
}
