using System.Text.Json;
using Panaptico.Core.Identity;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Storage.Remediation;

namespace Panaptico.Storage.Tests.Remediation;

public class ChangeTableTests
{
    private static readonly Principal Nina = new("u-nina", "nina.ramirez", new HashSet<string> { Role.Approver });

    [Fact]
    public async Task Opening_twice_keeps_the_first_opening_and_returns_it()
    {
        var storage = await ChainStorage.CreateAsync();
        var table = new ChangeTable(storage.Table);
        var time = ChainStorage.Clock();
        var id = ChangeId.For(time.GetUtcNow(), 114);
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy());
        var first = chain.Open(id, ChainStorage.LongLivedPolicy("exports", true, time.GetUtcNow()), "system:scan", time.GetUtcNow());
        var second = chain.Open(id, ChainStorage.LongLivedPolicy("exports", true, time.GetUtcNow()), "system:other", time.GetUtcNow());

        var opened = await table.OpenAsync(first.State, first.History, time.GetUtcNow(), CancellationToken.None);
        var again = await table.OpenAsync(second.State, second.History, time.GetUtcNow(), CancellationToken.None);

        Assert.Equal("system:scan", opened.RequestedBy);
        Assert.Equal("system:scan", again.RequestedBy);
        var view = (await table.ViewAsync(id, CancellationToken.None))!;
        Assert.Equal(["change.opened", "change.approval-requested"], view.History.Select(h => h.Event));
    }

    [Fact]
    public async Task Recording_a_transition_again_or_an_older_one_late_changes_nothing()
    {
        var storage = await ChainStorage.CreateAsync();
        var table = new ChangeTable(storage.Table);
        var time = ChainStorage.Clock();
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy());
        var opened = chain.Open(ChangeId.For(time.GetUtcNow(), 7), ChainStorage.LongLivedPolicy("exports", true, time.GetUtcNow()), "system:scan", time.GetUtcNow());
        await table.OpenAsync(opened.State, opened.History, time.GetUtcNow(), CancellationToken.None);
        var approved = (ChainTransition)chain.Decide(opened.State, new ApprovalGranted(Nina, time.GetUtcNow()));
        var backedUp = (ChainTransition)chain.Decide(approved.State,
            new BackupTaken(time.GetUtcNow(), opened.State.Finding.State, "vault/backup.json", "ab"));

        Assert.True(await table.RecordAsync(approved.State, approved.History, time.GetUtcNow(), CancellationToken.None));
        Assert.True(await table.RecordAsync(backedUp.State, backedUp.History, time.GetUtcNow(), CancellationToken.None));
        Assert.False(await table.RecordAsync(backedUp.State, backedUp.History, time.GetUtcNow(), CancellationToken.None));
        Assert.False(await table.RecordAsync(approved.State, approved.History, time.GetUtcNow(), CancellationToken.None));

        var view = (await table.ViewAsync(opened.State.Id, CancellationToken.None))!;
        Assert.Equal(ChangeStage.Fix, view.State.Stage);
        Assert.Equal(["change.opened", "change.approval-requested", "change.approved", "change.backed-up"], view.History.Select(h => h.Event));
        Assert.Equal(ChangeStage.Fix, Assert.Single(await table.ListAsync(10, CancellationToken.None)).Stage);
    }

    [Fact]
    public async Task Two_transitions_recorded_together_write_every_history_row()
    {
        var storage = await ChainStorage.CreateAsync();
        var table = new ChangeTable(storage.Table);
        var time = ChainStorage.Clock();
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy());
        var opened = chain.Open(ChangeId.For(time.GetUtcNow(), 8), ChainStorage.LongLivedPolicy("exports", true, time.GetUtcNow()), "system:scan", time.GetUtcNow());
        await table.OpenAsync(opened.State, opened.History, time.GetUtcNow(), CancellationToken.None);
        var approved = (ChainTransition)chain.Decide(opened.State, new ApprovalGranted(Nina, time.GetUtcNow()));
        var backedUp = (ChainTransition)chain.Decide(approved.State,
            new BackupTaken(time.GetUtcNow(), opened.State.Finding.State, "vault/backup.json", "ab"));

        await table.RecordAsync(backedUp.State, [.. approved.History, .. backedUp.History], time.GetUtcNow(), CancellationToken.None);

        var view = (await table.ViewAsync(opened.State.Id, CancellationToken.None))!;
        Assert.Equal([1, 2, 3, 4], view.History.Select(h => h.Sequence));
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

        await table.OpenAsync(opened.State, opened.History, time.GetUtcNow(), CancellationToken.None);

        var read = (await table.GetAsync(opened.State.Id, CancellationToken.None))!;
        Assert.Equal(finding.Tags.Count, read.Finding.Tags.Count);
        Assert.Equal(JsonSerializer.Serialize(opened.State, RemediationJson.Options), JsonSerializer.Serialize(read, RemediationJson.Options));
    }
}
