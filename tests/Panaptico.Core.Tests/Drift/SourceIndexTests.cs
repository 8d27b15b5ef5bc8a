using Panaptico.Core.Drift;
using static Panaptico.Core.Tests.Drift.DriftSamples;

namespace Panaptico.Core.Tests.Drift;

public sealed class SourceIndexTests
{
    private static SourceEvent Touch(string id, DateTimeOffset at, params string[] objects) =>
        new(SourceKind.ActivityLog, id, at) { Objects = [.. objects], Actor = "someone@acme.com", CorrelationId = "corr-1" };

    [Fact]
    public void Records_naming_an_object_come_oldest_first_and_records_of_equal_time_in_arrival_order()
    {
        var index = SourceIndex.Build([Touch("c", T0.AddMinutes(2), "obj"), Touch("a", T0, "obj"), Touch("b2", T0.AddMinutes(1), "OBJ"), Touch("b1", T0.AddMinutes(1), "obj"), Touch("x", T0, "other")]);

        Assert.Equal(["a", "b2", "b1", "c"], index.Touching("obj", T0, T0.AddMinutes(2)).ToArray().Select(e => e.EventId));
        Assert.Equal(["b2", "b1"], index.Touching("Obj", T0.AddSeconds(1), T0.AddMinutes(1)).ToArray().Select(e => e.EventId));
        Assert.True(index.Touching("obj", T0.AddMinutes(3), T0.AddMinutes(4)).IsEmpty);
        Assert.True(index.Touching("unknown", T0, T0.AddMinutes(4)).IsEmpty);
    }

    [Fact]
    public void A_record_naming_an_object_twice_is_indexed_once_for_it()
    {
        var index = SourceIndex.Build([Touch("a", T0, "obj", "OBJ", "alias")]);

        Assert.Equal(["a"], index.Touching("obj", T0, T0).ToArray().Select(e => e.EventId));
        Assert.Equal(["a"], index.Touching("alias", T0, T0).ToArray().Select(e => e.EventId));
    }

    [Fact]
    public void Correlated_records_come_in_arrival_order_whatever_their_times()
    {
        var index = SourceIndex.Build([Touch("late", T0.AddMinutes(5), "obj"), Touch("early", T0, "obj") with { CorrelationId = "CORR-1" }]);

        Assert.Equal(["late", "early"], index.Correlated("corr-1").ToArray().Select(e => e.EventId));
        Assert.True(index.Correlated(null).IsEmpty);
    }

    [Fact]
    public void A_run_spans_a_change_from_two_minutes_before_it_applies_to_five_minutes_after_it_ends()
    {
        SourceEvent Run(string id, DateTimeOffset start, DateTimeOffset end) =>
            new(SourceKind.TerraformRun, id, end) { Workspace = "finance-prod", WindowStart = start, WindowEnd = end };
        var index = SourceIndex.Build([Run("long", T0.AddHours(-3), T0), Run("short", T0.AddMinutes(6), T0.AddMinutes(11)), Run("failed", T0, T0) with { Succeeded = false }]);

        string[] Spanning(DateTimeOffset at)
        {
            var ids = new List<string>();
            foreach (var run in index.RunsSpanning("FINANCE-PROD", at, at, DriftAttributor.RunLeadIn, DriftAttributor.RunTail))
            {
                ids.Add(run.EventId);
            }

            return [.. ids];
        }

        Assert.Equal(["long"], Spanning(T0.AddHours(-3).AddMinutes(-2)));
        Assert.Empty(Spanning(T0.AddHours(-3).AddMinutes(-2).AddTicks(-1)));
        Assert.Equal(["long", "short"], Spanning(T0.AddMinutes(5)));
        Assert.Equal(["short"], Spanning(T0.AddMinutes(5).AddTicks(1)));
        Assert.Equal(["short"], Spanning(T0.AddMinutes(16)));
        Assert.Empty(Spanning(T0.AddMinutes(16).AddTicks(1)));
    }

    [Fact]
    public void A_change_record_is_found_through_each_object_it_names_within_its_window_and_margin()
    {
        var change = new SourceEvent(SourceKind.ChangeRecord, "CHG-1", T0) { Objects = ["a", "b"], WindowStart = T0, WindowEnd = T0.AddMinutes(30) };
        var index = SourceIndex.Build([change]);

        int Count(string obj, DateTimeOffset at)
        {
            var n = 0;
            foreach (var _ in index.ChangesNaming(obj, at, at, DriftAttributor.ChangeWindowMargin))
            {
                n++;
            }

            return n;
        }

        Assert.Equal(1, Count("b", T0.AddMinutes(-60)));
        Assert.Equal(1, Count("A", T0.AddMinutes(90)));
        Assert.Equal(0, Count("a", T0.AddMinutes(90).AddTicks(1)));
        Assert.Equal(0, Count("c", T0));
    }
}
