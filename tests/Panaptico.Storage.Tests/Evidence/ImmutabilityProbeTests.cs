using Panaptico.Core.Evidence;
using Panaptico.Storage.Evidence;

namespace Panaptico.Storage.Tests.Evidence;

public class ImmutabilityProbeTests
{
    [Fact]
    public async Task Against_azurite_the_evidence_container_is_reported_not_enforced()
    {
        var container = await EvidenceStorage.ContainerAsync("evidence");

        var report = await new ImmutabilityProbe(container).ProbeAsync(default);

        Assert.Equal(ImmutabilityStatus.NotEnforced, report.Status);
        Assert.Contains(container.Name, report.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requiring_immutability_against_azurite_fails_closed()
    {
        var report = await new ImmutabilityProbe(await EvidenceStorage.ContainerAsync("evidence")).ProbeAsync(default);

        Assert.Throws<ImmutabilityNotEnforcedException>(() => ImmutabilityGuard.StatusForSealing(report, requireImmutability: true));
    }
}
