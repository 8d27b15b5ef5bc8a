namespace Panaptico.Core.Drift;

/// <summary>What a freeze did: <see cref="Frozen"/> false says why this object cannot be frozen (on-call is paged all the same).</summary>
public sealed record FreezeOutcome(bool Frozen, string Detail);

/// <summary>
/// A connector that can freeze an object it reads: stop it being used more widely or changed further (a container set
/// private and flagged, a service principal disabled) until people look. Idempotent: freezing a frozen object does nothing.
/// </summary>
public interface IFreezableConnector : IDriftConnector
{
    Task<FreezeOutcome> FreezeAsync(GraphObject obj, string reason, CancellationToken ct);
}
