using System.Text.Json.Nodes;
using Panaptico.Core.Drift;
using Panaptico.Storage.Drift;

namespace Panaptico.Functions.Drift;

/// <summary>The implementation graph as the domain sees it, over <see cref="GraphStore"/>: read it, change it once per change id.</summary>
public sealed class DriftGraph(GraphStore store, IEnumerable<IDriftConnector> connectors, TimeProvider time)
{
    /// <summary>The connector kinds an object may name.</summary>
    public IReadOnlySet<string> Connectors { get; } = connectors.Select(c => c.Kind).ToHashSet(StringComparer.Ordinal);

    /// <summary>Whether the graph holds <paramref name="objectId"/>: one point read, not the whole graph.</summary>
    public async Task<bool> HoldsAsync(string objectId, CancellationToken cancellationToken) =>
        await store.GetAsync(objectId, cancellationToken) is not null;

    public async Task<ImplementationGraph> ReadAsync(CancellationToken cancellationToken)
    {
        var stored = await store.ReadAsync(cancellationToken);
        if (stored.Objects.Count == 0)
        {
            return ImplementationGraph.Restore(stored.Version, []);
        }
        var document = new JsonObject { ["objects"] = new JsonArray([.. stored.Objects.Select(o => (JsonNode)o.Json.DeepClone())]) };
        return ImplementationGraph.Restore(stored.Version, GraphDocument.ParseJson(document.ToJsonString()));
    }

    /// <summary>
    /// Applies <paramref name="change"/> once per <paramref name="changeId"/> (decided again on the fresh graph when
    /// another change landed first, unless <paramref name="expectedVersion"/> pins it); returns the graph it made.
    /// </summary>
    /// <exception cref="DriftInputException">The domain refused the change (unknown object or connector, version conflict…).</exception>
    public async Task<ImplementationGraph> ApplyAsync(
        string changeId, IntentChange change, string actor, long? expectedVersion, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var graph = await ReadAsync(cancellationToken);
            if (await store.AppliedAsync(changeId, cancellationToken) is not null)
            {
                return graph;
            }
            var next = graph.Apply(change, actor, time.GetUtcNow(), expectedVersion, Connectors);
            var touched = change.Define.Select(o => o.Id).Concat(change.Fields.Select(f => f.ObjectId)).Distinct(StringComparer.Ordinal)
                .Where(next.Graph.Objects.ContainsKey)
                .Select(id => (id, DriftJson.Object(next.Graph.Objects[id])))
                .ToList();
            if (await store.ApplyAsync(changeId, graph.Version, touched, [.. change.Remove], next.Entry, cancellationToken) is not null)
            {
                return next.Graph;
            }
            if (attempt >= 10)
            {
                throw new InvalidOperationException($"the graph kept changing while change {changeId} was applied");
            }
        }
    }
}
