using Azure.Data.Tables;
using Panaptico.Core.Governance.Dependencies;

namespace Panaptico.Storage.Governance;

/// <summary>
/// The adjacency rows: partition = upstream task id, row = downstream task id. A seal reads exactly one partition to
/// find the tasks it affects. Edges are written before the task rows that name them, so a crash leaves at most an
/// extra edge, which a release skips (the downstream does not wait on it), never a waiting task no seal can find.
/// </summary>
public sealed class DependencyIndex(GovernanceTables tables)
{
    private readonly TableClient _table = tables.Edges;

    public async Task AddAsync(IEnumerable<DependencyEdge> edges, CancellationToken cancellationToken)
    {
        // Edges of one upstream share a partition, so they go in one transaction; upserts make a retry harmless.
        foreach (var partition in edges.GroupBy(e => e.UpstreamTaskId, StringComparer.Ordinal))
        {
            GovernanceKeys.Check(partition.Key);
            foreach (var chunk in partition.Chunk(TaskRepository.MaxRowsPerSave))
            {
                await _table.SubmitTransactionAsync(
                    chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, Row(e))), cancellationToken);
            }
        }
    }

    public async Task RemoveAsync(DependencyEdge edge, CancellationToken cancellationToken) =>
        await _table.DeleteEntityAsync(edge.UpstreamTaskId, edge.DownstreamTaskId, cancellationToken: cancellationToken);

    /// <summary>The tasks that depend directly on <paramref name="upstreamTaskId"/>: one partition query.</summary>
    public async Task<IReadOnlyList<string>> DownstreamOfAsync(string upstreamTaskId, CancellationToken cancellationToken)
    {
        GovernanceKeys.Check(upstreamTaskId);
        var downstream = new List<string>();
        await foreach (var row in _table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {upstreamTaskId}"), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            downstream.Add(row.RowKey);
        }

        return downstream;
    }

    /// <summary>
    /// Every edge reachable downstream of <paramref name="taskId"/>, as a graph: all a new edge into
    /// <paramref name="taskId"/> needs to be checked for a cycle (a cycle through it must return to it along these).
    /// </summary>
    public async Task<DependencyGraph> DownstreamGraphAsync(string taskId, CancellationToken cancellationToken)
    {
        var edges = new List<DependencyEdge>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { taskId };
        var frontier = new List<string> { taskId };
        while (frontier.Count > 0)
        {
            var next = new List<string>();
            var partitions = await Task.WhenAll(frontier.Select(id => DownstreamOfAsync(id, cancellationToken)));
            for (var i = 0; i < frontier.Count; i++)
            {
                foreach (var downstream in partitions[i])
                {
                    edges.Add(new DependencyEdge(frontier[i], downstream));
                    if (seen.Add(downstream))
                    {
                        next.Add(downstream);
                    }
                }
            }

            frontier = next;
        }

        var graph = DependencyGraph.Build(edges);
        // Stored edges are acyclic by construction; if not, the refusal names the cycle already there.
        return graph.IsAccepted ? graph.Value : throw new InvalidOperationException(graph.Refusal.Message);
    }

    private static TableEntity Row(DependencyEdge edge)
    {
        GovernanceKeys.Check(edge.DownstreamTaskId);
        return new TableEntity(edge.UpstreamTaskId, edge.DownstreamTaskId);
    }
}
