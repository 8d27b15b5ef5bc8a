using Panaptico.Core.Drift;

namespace Panaptico.Connectors.Drift.Snapshots;

/// <summary>
/// Live state pushed to us for systems we do not read directly (CrowdStrike, Okta, Snowflake, AWS KMS, Datadog,
/// Vault, Workday): the latest snapshot stored for the graph object, read as of its observation time.
/// </summary>
public sealed class SnapshotDriftConnector(ISnapshotStore store) : IDriftConnector
{
    public const string ConnectorKind = "snapshot";

    public string Kind => ConnectorKind;

    /// <exception cref="InvalidOperationException">Nothing was pushed for the object, or the latest snapshot is of another system or kind.</exception>
    public async Task<LiveObject> ReadAsync(GraphObject obj, CancellationToken ct)
    {
        var snapshot = await store.LatestAsync(obj.Id, ct)
            ?? throw new InvalidOperationException($"no snapshot has been pushed for {obj.Id}");
        if (!string.Equals(snapshot.System, obj.SourceSystem, StringComparison.OrdinalIgnoreCase) || snapshot.Kind != obj.Kind)
        {
            throw new InvalidOperationException(
                $"the latest snapshot of {obj.Id} ({snapshot.SnapshotId}) is a {snapshot.System} {snapshot.Kind}, but the graph holds a {obj.SourceSystem} {obj.Kind}");
        }
        return new LiveObject(obj.Id, snapshot.State.ToFields(), snapshot.ObservedAt);
    }
}
