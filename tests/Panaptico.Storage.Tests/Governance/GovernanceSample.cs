using System.Collections.Immutable;
using System.Text;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Storage.Account;
using Panaptico.Storage.Governance;
using Panaptico.Testing;

namespace Panaptico.Storage.Tests.Governance;

/// <summary>Governance tables under a fresh prefix, and task records built by the domain as the app builds them.</summary>
internal static class GovernanceSample
{
    public static readonly DateTimeOffset Now = new(2026, 4, 21, 13, 0, 0, TimeSpan.Zero);

    public static readonly Principal Operator = new("op.rivera", "P. Rivera", new HashSet<string> { Role.Operator });
    public static readonly Principal DPark = new("dpark", "D. Park", new HashSet<string> { Role.Approver });

    public static readonly Plan Plan = Plan.Create("PLAN-0491", "Finance key hygiene", [new Wave("W1", 1, "Key rotation")], Operator, Now).Value!;

    public static readonly ImmutableArray<EvidenceRequirement> Requirements =
    [
        new("kms-pre", "KMS ListKeys · pre-snapshot", EvidenceKind.FileExport)
        {
            Check = new EvidenceCheck { MinRows = 1, RequiredFields = ["keyId"], Unit = "keys" },
        },
        new("export", "Config export", EvidenceKind.FileExport),
    ];

    public static readonly ApprovalRules Rules = ApprovalRules.Parse(File.ReadAllText(RepositoryFile("src", "Panaptico.Core", "Governance", "Approvals", "approval-routes.sample.yaml")));

    public static readonly ContextPack Pack = new(
        "14 CMKs, 28 dependent jobs",
        "rotation disabled → enabled, period 365d",
        new ChangeWindow(new DateTimeOffset(2026, 5, 4, 2, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 5, 4, 4, 0, 0, TimeSpan.Zero)),
        "finance-critical tag",
        "roll back at CMK level if > 2% of dependent jobs fail");

    public static async Task<GovernanceTables> TablesAsync()
    {
        var tables = new GovernanceTables(
            StorageAccount.FromConnectionString(await TestStorage.ConnectionStringAsync()),
            new StorageNames(TestStorage.UniqueName("gov")));
        await tables.EnsureCreatedAsync(CancellationToken.None);
        return tables;
    }

    /// <summary>An active task with a runbook step, as created, marked ready and started by an operator.</summary>
    public static TaskRecord Active(string id, params RunbookStep[] steps)
    {
        var spec = new NewTask(id, Plan.Id, "W1", $"Task {id}", "tnguyen") { Requirements = Requirements, RunbookSteps = [.. steps] };
        var created = Ok(TaskLifecycle.Create(Plan, spec, [], Operator, Now)).Record;
        return Ok(TaskLifecycle.Start(Ok(TaskLifecycle.MarkReady(created, Operator, "declared", Now)), Operator, "go", Now));
    }

    public static TaskRecord Capture(TaskRecord record, string requirement, string text, DateTimeOffset? at = null) =>
        Ok(EvidenceGate.Capture(record, requirement, new ArtifactContent($"{requirement}.jsonl", "application/x-ndjson", Encoding.UTF8.GetBytes(text)), Operator, at ?? Now));

    public static TaskRecord Routed(TaskRecord record) =>
        Ok(TaskApprovals.Route(record, Rules, new ChangeAttributes("finance") { ChangeKinds = ["kms-key-policy"], Controls = ["SOC2 CC6.7"] }, Pack, Operator, Now));

    public static T Ok<T>(Decision<T> decision)
        where T : class
    {
        Assert.True(decision.IsAccepted, decision.Refusal?.Message);
        return decision.Value;
    }

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
}
