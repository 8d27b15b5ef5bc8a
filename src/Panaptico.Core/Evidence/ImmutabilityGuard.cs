namespace Panaptico.Core.Evidence;

/// <summary>What the start-up probe found about the evidence container's write-once protection.</summary>
public sealed record ImmutabilityReport(ImmutabilityStatus Status, string Reason);

/// <summary>
/// Fail closed: where the deployment says evidence must be immutable (a real account), sealing refuses to vouch for
/// evidence the store could still rewrite. Where it does not (Azurite, the demo), bundles say "not-enforced" honestly.
/// </summary>
public static class ImmutabilityGuard
{
    /// <exception cref="ImmutabilityNotEnforcedException">Immutability is required and not enforced.</exception>
    public static ImmutabilityStatus StatusForSealing(ImmutabilityReport report, bool requireImmutability)
    {
        if (requireImmutability && report.Status != ImmutabilityStatus.Enforced)
        {
            throw new ImmutabilityNotEnforcedException(report.Reason);
        }

        return report.Status;
    }
}

public sealed class ImmutabilityNotEnforcedException(string reason)
    : Exception($"evidence immutability is required but not enforced ({reason}); sealing refused");
