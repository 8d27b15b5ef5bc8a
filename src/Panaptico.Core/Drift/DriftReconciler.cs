using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Panaptico.Core.Drift;

/// <summary>
/// What one pass of live against intent found. <see cref="Deltas"/> are the drifts to attribute this sweep: values
/// not seen before (or changed since reported) and drifts still pending attribution. Drifts already reported at the
/// same value are only counted (<see cref="AlreadyReported"/>) and carried in <see cref="Carried"/>.
/// </summary>
public sealed record Reconciliation(
    ImmutableArray<DriftDelta> Deltas,
    ImmutableArray<RememberedDrift> Carried,
    int ObjectsRead,
    int ObjectsUnread,
    int FieldsChecked,
    int AlreadyReported,
    int Ignored);

/// <summary>Reconciles live state against the graph per object and per field, honouring comparators, envelopes and ignores.</summary>
public static class DriftReconciler
{
    public static Reconciliation Reconcile(ImplementationGraph graph, LiveState live, DriftMemory memory, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(memory);

        var deltas = ImmutableArray.CreateBuilder<DriftDelta>();
        var carried = ImmutableArray.CreateBuilder<RememberedDrift>();
        int read = 0, unread = 0, checkedFields = 0, already = 0, ignored = 0;
        foreach (var obj in graph.Objects.Values)
        {
            if (!live.Objects.TryGetValue(obj.Id, out var liveObject))
            {
                // Not read this sweep (connector down, object not in this batch): nothing is known, nothing forgotten.
                unread++;
                continue;
            }

            read++;
            foreach (var (field, intended) in obj.Fields)
            {
                if (intended.Ignore is { } ignore && ignore.StandsAt(at))
                {
                    ignored++;
                    continue;
                }

                checkedFields++;
                var present = liveObject.Fields.TryGetValue(field, out var value);
                if (present && DriftComparison.Matches(intended.Comparator, intended.Value, value))
                {
                    continue;
                }

                if (!present && intended.Value is null)
                {
                    continue;
                }

                var key = DriftComparison.ValueKey(intended.Comparator, value, !present);
                var remembered = memory.Find(obj.Id, field);
                if (remembered is not null && remembered.ValueKey == key)
                {
                    if (remembered.Status == RememberedStatus.Reported)
                    {
                        already++;
                        carried.Add(remembered);
                        continue;
                    }

                    deltas.Add(Delta(obj.Id, field, intended, value, !present, remembered.FirstSeen, remembered.ChangedAfter, key));
                    continue;
                }

                deltas.Add(Delta(obj.Id, field, intended, value, !present, at, memory.LastSweepAt, key));
            }
        }

        carried.AddRange(memory.ForObjectsNotIn(live.Objects).Where(e => graph.Objects.ContainsKey(e.ObjectId)));
        return new Reconciliation(deltas.ToImmutable(), carried.ToImmutable(), read, unread, checkedFields, already, ignored);
    }

    private static DriftDelta Delta(string objectId, string field, IntendedValue intended, JsonNode? live, bool absent, DateTimeOffset firstSeen, DateTimeOffset? changedAfter, string key) =>
        new(objectId, field, intended, live, absent, intended.Comparator, DriftComparison.Envelope(intended, live), firstSeen, changedAfter, key);
}
