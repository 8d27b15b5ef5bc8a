using System.Text.Json;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Patterns.Storage;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Core.Tests.Remediation;

public class RemediationJsonTests
{
    [Fact]
    public void A_change_state_survives_a_round_trip_through_storage_json()
    {
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy());
        var policy = new StoredAccessPolicy("upload", "rwd", Samples.Detected, Samples.Detected.AddDays(400));
        var container = Samples.Container(policies: policy);
        var finding = new LongLivedWriteAccessPolicy().Detect(Samples.Account(null, container))[0];
        var state = chain.Open(ChangeId.Parse("CHG-2026-0415-002"), finding, "system:scan", Samples.Detected).State;
        state = ((ChainTransition)chain.Decide(state, new ApprovalGranted(Samples.Approver(), Samples.Detected.AddMinutes(1)))).State;
        state = ((ChainTransition)chain.Decide(state, new BackupTaken(Samples.Detected.AddMinutes(2), container, "vault/x", "ab"))).State;

        var json = JsonSerializer.Serialize(state, RemediationJson.Options);
        var back = JsonSerializer.Deserialize<ChangeState>(json, RemediationJson.Options)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, RemediationJson.Options));
        Assert.Equal(ChangeStage.Fix, back.Stage);
        Assert.IsType<ContainerState>(back.Backup);
        Assert.IsType<SetContainerAccessPolicies>(back.Plan.Operation);
        Assert.Contains("\"stage\":\"fix\"", json, StringComparison.Ordinal);
        Assert.Contains("\"op\":\"set-container-access-policies\"", json, StringComparison.Ordinal);
        Assert.Contains("\"id\":\"CHG-2026-0415-002\"", json, StringComparison.Ordinal);
    }
}
