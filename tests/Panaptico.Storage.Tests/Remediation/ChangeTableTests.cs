using Panaptico.Core.Identity;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Storage.Remediation;

namespace Panaptico.Storage.Tests.Remediation;

public class ChangeTableTests
{
    private static readonly Principal Nina = new("u-nina", "nina.ramirez", new HashSet<string> { Role.Approver });
    private static readonly Principal Ravi = new("u-ravi", "ravi", new HashSet<string> { Role.Approver });

    [Fact]
    public async Task A_transition_decided_on_a_stale_state_is_refused_and_writes_no_history_or_outbox()
    {
        var storage = await ChainStorage.CreateAsync();
        var table = new ChangeTable(storage.Table);
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy());
        var time = ChainStorage.Clock();
        var opened = chain.Open(ChangeId.For(time.GetUtcNow(), 114), ChainStorage.LongLivedPolicy("exports", true, time.GetUtcNow()), "system:scan", time.GetUtcNow());
        await table.CommitAsync(null, opened.State, opened.History, [new OutboxItem(OutboxKind.Message, "open")], "a", time.GetUtcNow(), CancellationToken.None);
        var read = (await table.LoadAsync(opened.State.Id, CancellationToken.None))!;
        var approve = (ChainTransition)chain.Apply(read.State, new ApprovalGranted(Nina, time.GetUtcNow()));
        var deny = (ChainTransition)chain.Apply(read.State, new ApprovalDenied(Ravi, time.GetUtcNow(), "not now"));

        await table.CommitAsync(read.ETag, approve.State, approve.History, [new OutboxItem(OutboxKind.Message, "approve")], "a", time.GetUtcNow(), CancellationToken.None);
        await Assert.ThrowsAsync<ChangeConflictException>(() =>
            table.CommitAsync(read.ETag, deny.State, deny.History, [new OutboxItem(OutboxKind.Message, "deny")], "b", time.GetUtcNow(), CancellationToken.None));

        var view = (await table.ViewAsync(opened.State.Id, CancellationToken.None))!;
        Assert.Equal(ChangeStage.Backup, view.State.Stage);
        Assert.Equal(["change.opened", "change.approval-requested", "change.approved"], view.History.Select(h => h.Event));
        var stored = (await table.LoadAsync(opened.State.Id, CancellationToken.None))!;
        Assert.Equal(["open", "approve"], stored.Outbox.Select(o => o.Body));
    }

    [Fact]
    public async Task A_state_too_large_for_one_table_property_is_stored_across_several_and_read_back_whole()
    {
        var storage = await ChainStorage.CreateAsync();
        var table = new ChangeTable(storage.Table);
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy());
        var time = ChainStorage.Clock();
        var finding = ChainStorage.LongLivedPolicy("padded", false, time.GetUtcNow(), metadataBytes: 80_000);
        var opened = chain.Open(ChangeId.For(time.GetUtcNow(), 1), finding, "system:scan", time.GetUtcNow());

        await table.CommitAsync(null, opened.State, opened.History, [], "a", time.GetUtcNow(), CancellationToken.None);

        var read = (await table.LoadAsync(opened.State.Id, CancellationToken.None))!.State;
        Assert.Equal(finding.Tags.Count, read.Finding.Tags.Count);
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(opened.State, RemediationJson.Options),
            System.Text.Json.JsonSerializer.Serialize(read, RemediationJson.Options));
    }
}
