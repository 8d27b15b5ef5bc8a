using Panaptico.Core.Governance.Dependencies;
using Panaptico.Storage.Governance;
using static Panaptico.Storage.Tests.Governance.GovernanceSample;

namespace Panaptico.Storage.Tests.Governance;

public sealed class DependencyIndexTests
{
    [Fact]
    public async Task A_seal_finds_exactly_its_direct_downstream_tasks_in_one_partition()
    {
        var index = new DependencyIndex(await TablesAsync());
        await index.AddAsync([
            new DependencyEdge("TASK-0412", "TASK-0414"),
            new DependencyEdge("TASK-0412", "TASK-0418"),
            new DependencyEdge("TASK-0414", "TASK-0420"),
            new DependencyEdge("TASK-0408", "TASK-0412"),
        ], CancellationToken.None);

        Assert.Equal(["TASK-0414", "TASK-0418"], await index.DownstreamOfAsync("TASK-0412", CancellationToken.None));
        Assert.Empty(await index.DownstreamOfAsync("TASK-0420", CancellationToken.None));
    }

    [Fact]
    public async Task Adding_the_same_edge_twice_leaves_one_row()
    {
        var index = new DependencyIndex(await TablesAsync());

        await index.AddAsync([new DependencyEdge("A", "B")], CancellationToken.None);
        await index.AddAsync([new DependencyEdge("A", "B")], CancellationToken.None);

        Assert.Equal(["B"], await index.DownstreamOfAsync("A", CancellationToken.None));
    }

    [Fact]
    public async Task The_downstream_graph_of_a_task_names_the_cycle_a_new_edge_into_it_would_close()
    {
        var index = new DependencyIndex(await TablesAsync());
        await index.AddAsync([new DependencyEdge("A", "B"), new DependencyEdge("B", "C"), new DependencyEdge("X", "Y")], CancellationToken.None);

        var graph = await index.DownstreamGraphAsync("A", CancellationToken.None);

        Assert.Equal(2, graph.EdgeCount);
        Assert.Equal<string>(["C", "A", "B", "C"], graph.CycleThrough(new DependencyEdge("C", "A")));
        Assert.Empty(graph.CycleThrough(new DependencyEdge("Y", "A")));
    }
}
