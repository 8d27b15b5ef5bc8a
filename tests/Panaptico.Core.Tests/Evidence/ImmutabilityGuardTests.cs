using Panaptico.Core.Evidence;

namespace Panaptico.Core.Tests.Evidence;

public class ImmutabilityGuardTests
{
    [Fact]
    public void Sealing_fails_closed_when_immutability_is_required_and_not_enforced()
    {
        var report = new ImmutabilityReport(ImmutabilityStatus.NotEnforced, "container has no version-level immutability");

        var error = Assert.Throws<ImmutabilityNotEnforcedException>(() => ImmutabilityGuard.StatusForSealing(report, requireImmutability: true));

        Assert.Contains("container has no version-level immutability", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_requirement_a_store_that_does_not_enforce_is_reported_honestly()
    {
        var report = new ImmutabilityReport(ImmutabilityStatus.NotEnforced, "501 from the store");

        Assert.Equal(ImmutabilityStatus.NotEnforced, ImmutabilityGuard.StatusForSealing(report, requireImmutability: false));
    }

    [Fact]
    public void An_enforcing_store_satisfies_the_requirement()
    {
        var report = new ImmutabilityReport(ImmutabilityStatus.Enforced, "version-level immutability with a retention policy");

        Assert.Equal(ImmutabilityStatus.Enforced, ImmutabilityGuard.StatusForSealing(report, requireImmutability: true));
    }
}
