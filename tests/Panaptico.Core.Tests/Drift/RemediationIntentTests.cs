using Panaptico.Core.Drift;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Patterns.Storage;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Core.Tests.Remediation;
using static Panaptico.Core.Tests.Drift.DriftSamples;

namespace Panaptico.Core.Tests.Drift;

public sealed class RemediationIntentTests
{
    private static readonly DateTimeOffset s_opened = new(2026, 4, 15, 3, 13, 0, TimeSpan.Zero);

    [Fact]
    public void A_closed_change_is_the_reason_of_record_for_the_fields_it_changed()
    {
        var closed = ClosedChange();
        var field = closed.Plan.Predicted.Fields[0];
        var objectId = closed.Plan.Asset.ToString();
        var graph = ImplementationGraph.Restore(5, [Object(objectId, (field.Field, Intent(closed.Plan.Before[0].Value)))]);

        var change = RemediationIntent.FromClosedChange(closed, graph)!;
        var next = graph.Apply(change, "system:remediation", s_opened.AddMinutes(5)).Graph;
        var live = Read(T0, Live(objectId, T0, (field.Field, field.Value)));
        var sweep = DriftSweep.Run(Sweep(next, live, DriftMemory.Empty, T0));

        Assert.Equal(ReasonKind.ChangeRecord, change.Reason.Kind);
        Assert.Equal(closed.Id.ToString(), next.Objects[objectId].Fields[field.Field].Reason.Id);
        Assert.Equal(0, sweep.Record.Drifted);
    }

    [Fact]
    public void Before_the_graph_is_updated_the_closed_change_explains_the_fix_as_expected()
    {
        var closed = ClosedChange();
        var field = closed.Plan.Predicted.Fields[0];
        var objectId = closed.Plan.Asset.ToString();
        var graph = ImplementationGraph.Restore(5, [Object(objectId, (field.Field, Intent(closed.Plan.Before[0].Value)))]);
        var at = closed.CloseOut!.Closed.AddMinutes(1);
        var live = Read(at, Live(objectId, at, (field.Field, field.Value)));

        var sweep = DriftSweep.Run(Sweep(graph, live, new DriftMemory(at.AddMinutes(-1), []), at, RemediationIntent.AsSource(closed)));

        var row = Assert.Single(sweep.Rows);
        Assert.Equal(DriftClass.Expected, row.Class);
        Assert.Equal(closed.Id.ToString(), row.Attribution.CauseId);
    }

    [Fact]
    public void A_change_that_did_not_close_changes_no_intent()
    {
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy());
        var opened = chain.Open(ChangeId.For(s_opened, 1), Finding(), "system:scan", s_opened).State;

        Assert.Null(RemediationIntent.FromClosedChange(opened, ImplementationGraph.Restore(1, [Object(opened.Plan.Asset.ToString(), ("x", Intent(1)))])));
    }

    private static Finding Finding() =>
        new PublicContainerAccess().Detect(Samples.Account(null, Samples.Container("dev-exports", metadata: new Dictionary<string, string> { ["env"] = "prod" })))[0];

    private static ChangeState ClosedChange()
    {
        var finding = Finding();
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy { Production = new TagCondition("env", ["production"]) });
        var state = chain.Open(ChangeId.For(s_opened, 1), finding, "system:scan", s_opened).State;
        var fixedState = (ContainerState)finding.State with { PublicAccess = PublicAccessLevel.None };
        var tap = s_opened.AddMinutes(1);
        foreach (var e in new ChainEvent[] { new BackupTaken(tap, finding.State, "vault/b", "ab"), new FixApplied(tap), new FixObserved(tap, fixedState), new RollbackBundleStored(tap, "vault/bundle"), new CloseOutSent(tap) })
        {
            state = Assert.IsType<ChainTransition>(chain.Decide(state, e)).State;
        }

        Assert.Equal(ChangeStage.Closed, state.Stage);
        return state;
    }
}
