using Panaptico.Core.Remediation.Chain;

namespace Panaptico.Core.Drift;

/// <summary>
/// A closed remediation change is the reason of record for the fields it changed: its predicted fields become intent,
/// so the next sweep sees the fix as intended, not as drift.
/// </summary>
public static class RemediationIntent
{
    /// <summary>
    /// The intent change for a change whose fix held (verified, its rollback bundle stored: it has a close-out, which it
    /// is given before the close-out is sent), or null otherwise (a denied, expired or rolled-back change changed nothing
    /// that should be kept). The object is the change's asset (<c>azure-blob://…</c>).
    /// </summary>
    /// <param name="objectIdOf">Maps the asset id to the graph object id, when the graph names it otherwise.</param>
    public static IntentChange? FromClosedChange(ChangeState change, ImplementationGraph graph, Func<string, string>? objectIdOf = null)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(graph);
        if (change.CloseOut is null)
        {
            return null;
        }

        var objectId = (objectIdOf ?? (a => a))(change.Plan.Asset.ToString());
        if (graph.Find(objectId) is not { } obj)
        {
            return null;
        }

        var reason = new ReasonOfRecord(ReasonKind.ChangeRecord, change.Id.ToString(), $"closed remediation: {change.Plan.Action}");
        var fields = change.Plan.Predicted.Fields
            .Where(f => obj.Fields.ContainsKey(f.Field))
            .Select(f => new FieldIntent(obj.Id, f.Field, obj.Fields[f.Field] with { Value = f.Value, Reason = reason }))
            .ToList();
        return fields.Count == 0 ? null : new IntentChange(reason) { Fields = [.. fields] };
    }

    /// <summary>The change record as a source event naming its asset, for attribution inside its window.</summary>
    public static SourceEvent AsSource(ChangeState change, Func<string, string>? objectIdOf = null)
    {
        ArgumentNullException.ThrowIfNull(change);
        var objectId = (objectIdOf ?? (a => a))(change.Plan.Asset.ToString());
        var start = change.OpenedAt;
        var end = change.CloseOut?.Closed ?? change.FixAppliedAt ?? change.OpenedAt;
        return new SourceEvent(SourceKind.ChangeRecord, change.Id.ToString(), change.FixAppliedAt ?? start)
        {
            Objects = [objectId],
            Actor = change.Approval?.ApproverId,
            ActorName = change.Approval?.ApproverName,
            CorrelationId = change.Id.ToString(),
            Fields = [.. change.Plan.Predicted.Fields.Select(f => f.Field)],
            WindowStart = start,
            WindowEnd = end,
            Details = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty
                .Add(SourceDetail.Ticket, change.Id.ToString())
                .Add(SourceDetail.Owner, change.Ticket.Owner)
                .Add(SourceDetail.Title, change.Ticket.Violation.ToString()),
        };
    }
}
