namespace Panaptico.Core.Governance.Dependencies;

/// <summary>
/// One adjacency row: <see cref="DownstreamTaskId"/> waits for <see cref="UpstreamTaskId"/> to seal. Stored keyed by the
/// upstream, so a seal finds exactly the tasks it affects.
/// </summary>
public sealed record DependencyEdge(string UpstreamTaskId, string DownstreamTaskId);
