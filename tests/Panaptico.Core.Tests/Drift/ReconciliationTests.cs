using System.Text.Json.Nodes;
using Panaptico.Core.Drift;
using static Panaptico.Core.Tests.Drift.DriftSamples;

namespace Panaptico.Core.Tests.Drift;

public sealed class ReconciliationTests
{
    [Fact]
    public void A_set_equal_list_that_was_only_reordered_is_not_drift()
    {
        var graph = Graph(Object("sp/finance-etl-prod", ("owners", Intent(new JsonArray("alice", "bob", "carol")) with { Comparator = Comparator.SetEqual })));
        var live = Read(T0, Live("sp/finance-etl-prod", T0, ("owners", new JsonArray("carol", "alice", "bob"))));

        var result = DriftReconciler.Reconcile(graph, live, DriftMemory.Empty, T0);

        Assert.Equal(1, result.FieldsChecked);
        Assert.Empty(result.Deltas);
    }

    [Fact]
    public void The_same_list_reordered_under_an_exact_comparator_is_drift()
    {
        var graph = Graph(Object("sp/finance-etl-prod", ("owners", Intent(new JsonArray("alice", "bob")))));
        var live = Read(T0, Live("sp/finance-etl-prod", T0, ("owners", new JsonArray("bob", "alice"))));

        Assert.Single(DriftReconciler.Reconcile(graph, live, DriftMemory.Empty, T0).Deltas);
    }

    [Fact]
    public void A_set_equal_list_with_a_member_added_is_drift()
    {
        var graph = Graph(Object("group/fin-admins", ("members", Intent(new JsonArray("alice", "bob")) with { Comparator = Comparator.SetEqual })));
        var live = Read(T0, Live("group/fin-admins", T0, ("members", new JsonArray("bob", "alice", "mallory"))));

        var delta = Assert.Single(DriftReconciler.Reconcile(graph, live, DriftMemory.Empty, T0).Deltas);
        Assert.Equal(Comparator.SetEqual, delta.Comparator);
    }

    [Fact]
    public void An_ignored_field_with_an_expired_ignore_is_drift()
    {
        var expired = new FieldIgnore("dpark", "warehouse resize test", T0.AddMinutes(-1));
        var graph = Graph(Object("warehouse/REPORTING_WH", ("size", Intent("M") with { Ignore = expired })));
        var live = Read(T0, Live("warehouse/REPORTING_WH", T0, ("size", "L")));

        var result = DriftReconciler.Reconcile(graph, live, DriftMemory.Empty, T0);

        Assert.Equal(0, result.Ignored);
        Assert.Equal("size", Assert.Single(result.Deltas).Field);
    }

    [Fact]
    public void An_ignored_field_whose_ignore_stands_is_skipped_and_counted()
    {
        var standing = new FieldIgnore("dpark", "warehouse resize test", T0.AddDays(1));
        var graph = Graph(Object("warehouse/REPORTING_WH", ("size", Intent("M") with { Ignore = standing })));
        var live = Read(T0, Live("warehouse/REPORTING_WH", T0, ("size", "L")));

        var result = DriftReconciler.Reconcile(graph, live, DriftMemory.Empty, T0);

        Assert.Empty(result.Deltas);
        Assert.Equal(1, result.Ignored);
        Assert.Equal(0, result.FieldsChecked);
    }

    [Fact]
    public void Json_normalised_compares_a_policy_document_held_in_a_string_by_value()
    {
        var graph = Graph(Object("kms/key-1", ("policy", Intent("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"n\":1.0}]}") with { Comparator = Comparator.JsonNormalised })));
        var live = Read(T0, Live("kms/key-1", T0, ("policy", "{ \"Statement\": [ { \"n\": 1, \"Effect\": \"Allow\" } ], \"Version\": \"2012-10-17\" }")));

        Assert.Empty(DriftReconciler.Reconcile(graph, live, DriftMemory.Empty, T0).Deltas);
    }

    [Fact]
    public void Case_insensitive_compares_strings_ignoring_case()
    {
        var graph = Graph(Object("warehouse/REPORTING_WH", ("owner", Intent("SVC-DBT-PROD") with { Comparator = Comparator.CaseInsensitive })));
        var live = Read(T0, Live("warehouse/REPORTING_WH", T0, ("owner", "svc-dbt-prod")));

        Assert.Empty(DriftReconciler.Reconcile(graph, live, DriftMemory.Empty, T0).Deltas);
    }

    [Theory]
    [InlineData(3, EnvelopeVerdict.Inside)]
    [InlineData(9, EnvelopeVerdict.Outside)]
    public void A_drifted_number_is_placed_against_its_envelope(int live, EnvelopeVerdict expected)
    {
        var graph = Graph(Object("warehouse/REPORTING_WH", ("maxClusters", Intent(2) with { Envelope = new Envelope(1, 4) })));
        var read = Read(T0, Live("warehouse/REPORTING_WH", T0, ("maxClusters", live)));

        Assert.Equal(expected, Assert.Single(DriftReconciler.Reconcile(graph, read, DriftMemory.Empty, T0).Deltas).Envelope);
    }

    [Fact]
    public void A_missing_live_field_is_drift_unless_intent_says_absent()
    {
        var graph = Graph(Object("sp/x", ("a", Intent(true)), ("b", Intent(null))));
        var live = Read(T0, Live("sp/x", T0));

        var delta = Assert.Single(DriftReconciler.Reconcile(graph, live, DriftMemory.Empty, T0).Deltas);
        Assert.Equal("a", delta.Field);
        Assert.True(delta.LiveAbsent);
    }

    [Fact]
    public void An_overlapping_sweep_does_not_report_the_same_drift_twice()
    {
        var graph = Graph(Object("sp/finance-etl-prod", ("appRoleAssignmentRequired", Intent(true))));
        var live = Read(T0, Live("sp/finance-etl-prod", T0, ("appRoleAssignmentRequired", false)));
        var run = Run("run-SFSeL9fg6Kibje8L", "finance-prod", T0.AddMinutes(-3), T0.AddMinutes(-1));

        var first = DriftSweep.Run(Sweep(graph, live, DriftMemory.Empty, T0, run));
        // The next minute's sweep started before the first one stored its memory: it runs from the same memory...
        var overlapping = DriftSweep.Run(Sweep(graph, live, DriftMemory.Empty, T0.AddSeconds(30), run) with { SweepId = first.Record.SweepId });
        // ...and a later sweep runs from the stored memory.
        var next = DriftSweep.Run(Sweep(graph, live, first.Memory, T0.AddMinutes(1), run));

        Assert.Equal(1, first.Record.Drifted);
        Assert.Equal(first.Rows.Select(r => r.RowId), overlapping.Rows.Select(r => r.RowId));
        Assert.Equal(first.Entry.EntryId, overlapping.Entry.EntryId);
        Assert.Equal(0, next.Record.Drifted);
        Assert.Equal(1, next.Record.AlreadyReported);
        Assert.Empty(next.Rows);
    }

    [Fact]
    public void A_reported_drift_is_reported_again_when_its_value_changes_again()
    {
        var graph = Graph(Object("warehouse/REPORTING_WH", ("size", Intent("M"))));
        var first = DriftSweep.Run(Sweep(graph, Read(T0, Live("warehouse/REPORTING_WH", T0, ("size", "L"))), DriftMemory.Empty, T0));
        var settled = DriftSweep.Run(Sweep(graph, Read(T0.AddMinutes(20), Live("warehouse/REPORTING_WH", T0, ("size", "L"))), first.Memory, T0.AddMinutes(20)));

        var again = DriftSweep.Run(Sweep(graph, Read(T0.AddMinutes(21), Live("warehouse/REPORTING_WH", T0, ("size", "XL"))), settled.Memory, T0.AddMinutes(21)));

        Assert.Equal(1, settled.Record.UnknownSource);
        Assert.Equal(1, again.Record.Drifted);
        Assert.Equal(T0.AddMinutes(21), Assert.Single(again.Pending).Drift.FirstSeen);
    }

    [Fact]
    public void A_field_back_in_line_is_forgotten_so_a_later_drift_is_new()
    {
        var graph = Graph(Object("warehouse/REPORTING_WH", ("size", Intent("M"))));
        var drifted = DriftSweep.Run(Sweep(graph, Read(T0, Live("warehouse/REPORTING_WH", T0, ("size", "L"))), DriftMemory.Empty, T0));
        var back = DriftSweep.Run(Sweep(graph, Read(T0.AddMinutes(1), Live("warehouse/REPORTING_WH", T0, ("size", "M"))), drifted.Memory, T0.AddMinutes(1)));

        Assert.Equal(1, drifted.Memory.Count);
        Assert.Equal(0, back.Memory.Count);
    }

    [Fact]
    public void Objects_not_read_this_sweep_keep_their_memory_and_count_as_unread()
    {
        var graph = Graph(Object("a", ("f", Intent(1))), Object("b", ("f", Intent(1))));
        var first = DriftSweep.Run(Sweep(graph, Read(T0, Live("a", T0, ("f", 2)), Live("b", T0, ("f", 2))), DriftMemory.Empty, T0));

        var partial = DriftSweep.Run(Sweep(graph, Read(T0.AddMinutes(1), Live("a", T0, ("f", 2))), first.Memory, T0.AddMinutes(1)));

        Assert.Equal(1, partial.Record.ObjectsUnread);
        Assert.NotNull(partial.Memory.Find("b", "f"));
    }
}
