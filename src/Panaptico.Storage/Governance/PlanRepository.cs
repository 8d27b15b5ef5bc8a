using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Storage.Governance;

public sealed class PlanExistsException(string planId) : Exception($"plan {planId} already exists")
{
    public string PlanId { get; } = planId;
}

/// <summary>One partition per plan: the <c>plan</c> row and a member row per task (<c>task-&lt;id&gt;</c>), for wave exit gates.</summary>
public sealed class PlanRepository(GovernanceTables tables)
{
    private const string PlanKey = "plan";
    private const string MemberPrefix = "task-";

    private readonly TableClient _table = tables.Plans;

    /// <exception cref="PlanExistsException">A plan with this id exists; nothing was written.</exception>
    public async Task CreateAsync(Plan plan, CancellationToken cancellationToken)
    {
        GovernanceKeys.Check(plan.Id);
        try
        {
            await _table.AddEntityAsync(new TableEntity(plan.Id, PlanKey) { ["Json"] = GovernanceJson.Serialize(plan) }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            throw new PlanExistsException(plan.Id);
        }
    }

    public async Task<Plan?> GetAsync(string planId, CancellationToken cancellationToken)
    {
        if (!GovernanceKeys.IsValid(planId))
        {
            return null;
        }

        var row = await _table.GetEntityIfExistsAsync<TableEntity>(planId, PlanKey, cancellationToken: cancellationToken);
        return row.HasValue ? GovernanceJson.Deserialize<Plan>(row.Value!.GetString("Json")) : null;
    }

    /// <summary>Records that a task belongs to the plan (idempotent).</summary>
    public async Task AddMemberAsync(string planId, string taskId, string waveId, CancellationToken cancellationToken)
    {
        GovernanceKeys.Check(taskId);
        await _table.UpsertEntityAsync(new TableEntity(planId, MemberPrefix + taskId) { ["WaveId"] = waveId }, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>The plan's task ids, in id order.</summary>
    public async Task<IReadOnlyList<string>> MembersAsync(string planId, CancellationToken cancellationToken)
    {
        var members = new List<string>();
        await foreach (var row in _table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {planId} and RowKey gt {MemberPrefix} and RowKey lt {"task."}"),
            select: ["RowKey"], cancellationToken: cancellationToken))
        {
            members.Add(row.RowKey[MemberPrefix.Length..]);
        }

        return members;
    }
}
