using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Identity;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Storage.Remediation;
using Panaptico.Storage.Tests.Governance;

namespace Panaptico.Storage.Tests.Remediation;

public class DurableChangeChainTests
{
    [Fact]
    public async Task Two_instances_detecting_one_violation_at_once_open_one_ticket()
    {
        var storage = await ChainStorage.CreateAsync();
        var time = ChainStorage.Clock();
        var (first, _) = await storage.InstanceAsync(time);
        var (second, _) = await storage.InstanceAsync(time);
        var finding = ChainStorage.LongLivedPolicy("shared", production: true, time.GetUtcNow());

        var results = (await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? first : second).OpenAsync([finding], "system:scan", CancellationToken.None)))).SelectMany(r => r).ToList();

        var opened = Assert.Single(results, r => r.Opened);
        Assert.All(results, r => Assert.Equal(opened.ChangeId, r.ChangeId));
        Assert.Single(await first.ListAsync(10, CancellationToken.None));
        Assert.Equal(ChangeStage.Approval, (await first.GetAsync(opened.ChangeId!.Value, CancellationToken.None))!.State.Stage);
    }

    [Fact]
    public async Task Changes_opened_on_one_day_are_numbered_in_sequence_in_the_walkthrough_shape()
    {
        var storage = await ChainStorage.CreateAsync();
        var time = ChainStorage.Clock();
        var (chain, _) = await storage.InstanceAsync(time);

        var results = await chain.OpenAsync(
            [.. Enumerable.Range(0, 3).Select(i => ChainStorage.LongLivedPolicy($"c{i}-exports", false, time.GetUtcNow()))],
            "system:scan", CancellationToken.None);

        Assert.Equal(["CHG-2026-0418-001", "CHG-2026-0418-002", "CHG-2026-0418-003"], results.Select(r => r.ChangeId.ToString()));
    }

    [Fact]
    public async Task A_ledger_entry_appended_before_a_crash_is_not_appended_again_when_another_instance_takes_over()
    {
        var storage = await ChainStorage.CreateAsync();
        var time = ChainStorage.Clock();
        var (crashing, ledger) = await storage.InstanceAsync(time, new CrashAt(ChainFaultPoint.Dispatching));
        var (steady, _) = await storage.InstanceAsync(time);
        var finding = ChainStorage.LongLivedPolicy("dev-exports", production: false, time.GetUtcNow());

        await Assert.ThrowsAsync<InvalidOperationException>(() => crashing.OpenAsync([finding], "system:scan", CancellationToken.None));
        var appendedBeforeCrash = (await ledger.ReadHeadAsync(CancellationToken.None)).Tree.Size;
        var before = await steady.SweepAsync(CancellationToken.None); // the crashed instance's lease still runs
        time.Advance(TimeSpan.FromSeconds(31));
        var after = await steady.SweepAsync(CancellationToken.None);

        Assert.Equal(0, before);
        Assert.Equal(1, after);
        Assert.Equal(2, appendedBeforeCrash); // opened, approved by policy
        var records = new List<Core.Ledger.LedgerRecord>();
        await foreach (var record in ledger.ReadRangeAsync(0, 10, CancellationToken.None))
        {
            records.Add(record);
        }
        Assert.Equal(["change.opened", "change.approved"], records.Select(r => r.Kind));
        var message = Assert.Single((await storage.Queue.ReceiveMessagesAsync(10)).Value);
        Assert.Equal(ChainStep.TakeBackup, ChainStepMessage.Parse(message.Body.ToString()).Step);
        Assert.Equal(0, await steady.SweepAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_routed_approval_gate_is_stored_with_the_change_and_its_ledger_entries_survive_a_takeover_once()
    {
        var storage = await ChainStorage.CreateAsync();
        var time = ChainStorage.Clock();
        var (crashing, ledger) = await storage.InstanceAsync(time, new CrashAt(ChainFaultPoint.Dispatching), GovernanceSample.Rules);
        var (steady, _) = await storage.InstanceAsync(time, rules: GovernanceSample.Rules);
        var finding = ChainStorage.LongLivedPolicy("prod-exports", production: true, time.GetUtcNow());

        await Assert.ThrowsAsync<InvalidOperationException>(() => crashing.OpenAsync([finding], "system:scan", CancellationToken.None));
        var appendedBeforeCrash = (await ledger.ReadHeadAsync(CancellationToken.None)).Tree.Size;
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(1, await steady.SweepAsync(CancellationToken.None));
        var id = Assert.Single(await steady.ListAsync(10, CancellationToken.None)).Id;
        var gate = (await steady.GetAsync(id, CancellationToken.None))!.State.ApprovalGate!;
        var nina = new Principal("nina.ramirez", "Nina Ramirez", new HashSet<string> { Role.Approver });
        var signed = await steady.ApplyAsync(id, new SeatApproved(nina, time.GetUtcNow(), null, "exports must not be writable for 400 days", gate.ContextPackHash), CancellationToken.None);
        await steady.SweepAsync(CancellationToken.None);

        Assert.Equal(3, appendedBeforeCrash); // opened, routed, approval requested: replayed by the takeover, appended once
        Assert.Equal("Owns cost envelope & perf SLO for platform", Assert.Single(gate.Seats).RoutedBecause);
        Assert.Equal(ChangeStage.Backup, signed.State!.Stage);
        Assert.Equal(ApprovalGateState.Approved, (await steady.GetAsync(id, CancellationToken.None))!.State.ApprovalGate!.State);
        var records = new List<Core.Ledger.LedgerRecord>();
        await foreach (var record in ledger.ReadRangeAsync(0, (await ledger.ReadHeadAsync(CancellationToken.None)).Tree.Size - 1, CancellationToken.None))
        {
            records.Add(record);
        }
        Assert.Equal(["change.opened", "approval.routed", "change.approval-requested", "approval.signed", "approval.cleared", "change.approved"],
            records.Select(r => r.Kind));
    }

    private sealed class CrashAt(ChainFaultPoint point) : ChainFaults
    {
        private int _crashed;

        public override void At(ChainFaultPoint at, ChangeId change, ChainStep? step)
        {
            if (at == point && Interlocked.Exchange(ref _crashed, 1) == 0)
            {
                throw new InvalidOperationException($"crash at {at}");
            }
        }
    }
}
