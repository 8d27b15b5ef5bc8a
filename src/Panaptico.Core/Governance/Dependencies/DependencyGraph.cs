using System.Collections.Immutable;

namespace Panaptico.Core.Governance.Dependencies;

/// <summary>
/// The adjacency index upstream → downstream of a plan, built by the caller from the stored edges; answers which tasks a
/// seal affects and whether a new edge would close a cycle.
/// </summary>
public sealed class DependencyGraph
{
    private static readonly IReadOnlyList<string> s_none = [];
    private readonly Dictionary<string, List<string>> _downstream = new(StringComparer.Ordinal);

    public int EdgeCount { get; private set; }

    /// <summary>Builds the index; refuses a set of edges that holds a cycle, naming one.</summary>
    public static Decision<DependencyGraph> Build(IEnumerable<DependencyEdge> edges)
    {
        var graph = new DependencyGraph();
        foreach (var edge in edges)
        {
            graph.Add(edge);
        }

        var cycle = graph.FindCycle();
        return cycle.IsEmpty
            ? Decision.Accept(graph)
            : Decision.Refuse(RefusalCode.Cycle, $"the dependencies hold a cycle: {string.Join(" → ", cycle)}");
    }

    public IReadOnlyList<string> DownstreamOf(string taskId) =>
        _downstream.TryGetValue(taskId, out var list) ? list : s_none;

    public bool Contains(DependencyEdge edge) =>
        _downstream.TryGetValue(edge.UpstreamTaskId, out var list) && list.Contains(edge.DownstreamTaskId);

    /// <summary>Adds an edge without checking; use <see cref="CycleThrough"/> first (or <see cref="DependencyGate.AddDependency"/>).</summary>
    public void Add(DependencyEdge edge)
    {
        if (!_downstream.TryGetValue(edge.UpstreamTaskId, out var list))
        {
            list = [];
            _downstream[edge.UpstreamTaskId] = list;
        }

        list.Add(edge.DownstreamTaskId);
        EdgeCount++;
    }

    /// <summary>
    /// The cycle <paramref name="edge"/> would close, as task ids from its upstream back to it
    /// (e.g. TASK-0412 → TASK-0414 → TASK-0418 → TASK-0412); empty when there is none.
    /// </summary>
    public ImmutableArray<string> CycleThrough(DependencyEdge edge)
    {
        if (edge.UpstreamTaskId == edge.DownstreamTaskId)
        {
            return [edge.UpstreamTaskId, edge.UpstreamTaskId];
        }

        // A path downstream → … → upstream already exists iff the new edge closes a cycle; search breadth-first from it.
        var parent = new Dictionary<string, string>(StringComparer.Ordinal) { [edge.DownstreamTaskId] = edge.DownstreamTaskId };
        var queue = new Queue<string>([edge.DownstreamTaskId]);
        while (queue.TryDequeue(out var current))
        {
            foreach (var next in DownstreamOf(current))
            {
                if (!parent.TryAdd(next, current))
                {
                    continue;
                }

                if (next == edge.UpstreamTaskId)
                {
                    var chain = new List<string>();
                    for (var at = current; ; at = parent[at])
                    {
                        chain.Add(at);
                        if (at == edge.DownstreamTaskId)
                        {
                            break;
                        }
                    }

                    chain.Reverse();
                    return [edge.UpstreamTaskId, .. chain, edge.UpstreamTaskId];
                }

                queue.Enqueue(next);
            }
        }

        return [];
    }

    /// <summary>Any cycle in the index, as a closed path of task ids; empty when acyclic.</summary>
    public ImmutableArray<string> FindCycle()
    {
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the current path, true: done
        var path = new List<string>();
        foreach (var root in _downstream.Keys)
        {
            if (state.ContainsKey(root))
            {
                continue;
            }

            // Iterative depth-first search; the stack holds each node's next child index.
            var stack = new Stack<(string Node, int Next)>();
            stack.Push((root, 0));
            state[root] = false;
            path.Add(root);
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                var children = DownstreamOf(node);
                if (next < children.Count)
                {
                    stack.Push((node, next + 1));
                    var child = children[next];
                    if (!state.TryGetValue(child, out var done))
                    {
                        state[child] = false;
                        path.Add(child);
                        stack.Push((child, 0));
                    }
                    else if (!done)
                    {
                        return [.. path.Skip(path.IndexOf(child)), child];
                    }
                }
                else
                {
                    state[node] = true;
                    path.RemoveAt(path.Count - 1);
                }
            }
        }

        return [];
    }
}
