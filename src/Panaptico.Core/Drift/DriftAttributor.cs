using System.Collections.Immutable;

namespace Panaptico.Core.Drift;

/// <summary>
/// Attributes a drift to its cause. Deterministic joins first — the correlation id across Resource Graph, the
/// Activity Log and Event Grid, and the acting identity looked up in the automation registry — then windows: a
/// Terraform run in the object's workspace spanning the change ([applying-at − 2 min, applied-at + 5 min]), a
/// change record's window ± 60 min only when it names the object. Nothing found: pending until the object's settle
/// time, then unknown source.
/// </summary>
public sealed class DriftAttributor(SourceIndex sources, AutomationIdentityRegistry identities, SettlePolicy settle)
{
    public static readonly TimeSpan RunLeadIn = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan RunTail = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan ChangeWindowMargin = TimeSpan.FromMinutes(60);

    /// <summary>Clock skew allowed between a source's timestamps and our sweeps.</summary>
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(2);

    /// <summary>How far back a first sweep (no previous sweep) looks for the change.</summary>
    public static readonly TimeSpan FirstSweepLookback = TimeSpan.FromHours(24);

    public Attribution Attribute(GraphObject obj, DriftDelta drift, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(drift);
        var from = (drift.ChangedAfter ?? drift.FirstSeen - FirstSweepLookback) - Skew;
        var to = drift.FirstSeen + Skew;
        var lookedAt = ImmutableArray.CreateBuilder<SourceEvent>();

        // 1. Records naming the object in the interval the change happened in; those naming the field first, latest first.
        SourceEvent? best = null;
        var bestScore = -1;
        for (var r = 0; r < ReferenceCount(obj); r++)
        {
            foreach (var e in sources.Touching(Reference(obj, r), from, to))
            {
                lookedAt.Add(e);
                var score = (NamesField(e, drift.Field) ? 2 : e.Fields.IsDefaultOrEmpty ? 1 : 0) * 4 + (Actor(e) is null ? 0 : 1);
                if (score > bestScore || (score == bestScore && e.At >= best!.At))
                {
                    (best, bestScore) = (e, score);
                }
            }
        }

        if (best is not null && bestScore >= 4)
        {
            // Correlation: the Activity Log or Event Grid record of the same operation says who, when the change record does not.
            var actorEvent = best;
            foreach (var e in sources.Correlated(best.CorrelationId))
            {
                if (!ReferenceEquals(e, best))
                {
                    lookedAt.Add(e);
                }

                if (Actor(actorEvent) is null && Actor(e) is not null)
                {
                    actorEvent = e;
                }
            }

            if (FromTouch(obj, drift, best, actorEvent, lookedAt) is { } attributed)
            {
                return attributed with { LookedAt = lookedAt.ToImmutable() };
            }
        }

        // 2. Windows: a Terraform run in the object's workspace, or a change record naming it, around the change — its
        // time when a record says when it happened, else the interval since the previous sweep.
        if (best is not null && bestScore >= 4)
        {
            (from, to) = (best.At, best.At);
        }

        if (obj.Workspace is { } workspace)
        {
            if (Latest(sources.RunsSpanning(workspace, from, to, RunLeadIn, RunTail), lookedAt) is { } run)
            {
                return Run(run, null, "terraform-window") with { LookedAt = lookedAt.ToImmutable() };
            }
        }

        if (ChangeNaming(obj, from, to, lookedAt) is { } change)
        {
            return Change(change, "change-window") with { LookedAt = lookedAt.ToImmutable() };
        }

        var settleAt = drift.FirstSeen + settle.For(obj.SourceSystem);
        return now >= settleAt ? Attribution.UnknownSource(lookedAt.ToImmutable()) : Attribution.PendingUntil(settleAt, lookedAt.ToImmutable());
    }

    private Attribution? FromTouch(GraphObject obj, DriftDelta drift, SourceEvent touch, SourceEvent actorEvent, ImmutableArray<SourceEvent>.Builder lookedAt)
    {
        switch (touch.Kind)
        {
            case SourceKind.VendorPatch:
                return new Attribution(AttributionStatus.Attributed) { Cause = CauseKind.Vendor, CauseId = touch.EventId, Actor = touch.Actor, Source = touch, Join = "object" };
            case SourceKind.ScimSync:
                return new Attribution(AttributionStatus.Attributed) { Cause = CauseKind.ScimSync, CauseId = touch.EventId, Actor = touch.Actor, Source = touch, Join = "object" };
            // The vendor's own service events group by what they did: every key AWS rotated this sweep is one cause.
            case SourceKind.CloudTrail when touch.Detail(SourceDetail.EventType) == "AwsServiceEvent":
                return new Attribution(AttributionStatus.Attributed) { Cause = CauseKind.Vendor, CauseId = $"aws:{touch.Detail(SourceDetail.Operation)}", Actor = touch.Actor, Source = touch, Join = "object" };
            case SourceKind.ResourceGraph when Actor(actorEvent) is null && touch.Detail(SourceDetail.Category) == "System":
                return new Attribution(AttributionStatus.Attributed) { Cause = CauseKind.Vendor, CauseId = $"azure:{touch.Detail(SourceDetail.Operation)}", Actor = "System", Source = touch with { Details = touch.Details.SetItem(SourceDetail.Vendor, "azure") }, Join = "object" };
            default:
                break;
        }

        var actor = Actor(actorEvent);
        if (actor is null)
        {
            return null;
        }

        var join = ReferenceEquals(actorEvent, touch) ? "object" : "correlation-id";
        if (identities.Find(actor) is { } automation)
        {
            switch (automation.Kind)
            {
                case AutomationKind.Terraform:
                    var workspaces = obj.Workspace is { } w ? [w] : automation.Workspaces;
                    foreach (var workspace in workspaces)
                    {
                        if (Latest(sources.RunsSpanning(workspace, touch.At, touch.At, RunLeadIn, RunTail), lookedAt) is { } run)
                        {
                            return Run(run, actor, "automation-identity");
                        }
                    }

                    // The identity says Terraform, but the run has not arrived: wait for it.
                    return null;
                case AutomationKind.Vendor:
                    return new Attribution(AttributionStatus.Attributed) { Cause = CauseKind.Vendor, CauseId = $"{automation.Name}:{actorEvent.Detail(SourceDetail.Operation) ?? actorEvent.EventId}", Actor = actor, Source = actorEvent with { Details = actorEvent.Details.SetItem(SourceDetail.Vendor, automation.Name) }, Join = "automation-identity" };
                case AutomationKind.Scim:
                    return new Attribution(AttributionStatus.Attributed) { Cause = CauseKind.ScimSync, CauseId = actorEvent.EventId, Actor = actor, Source = actorEvent with { ActorName = actorEvent.ActorName ?? automation.Name }, Join = "automation-identity" };
                case AutomationKind.Remediation:
                    if (ChangeNaming(obj, touch.At, touch.At, lookedAt) is { } ours)
                    {
                        return Change(ours, "automation-identity");
                    }

                    return null;
                default:
                    break;
            }
        }

        // A person: linked to a change record naming the object in its window, when there is one.
        var linked = ChangeNaming(obj, touch.At, touch.At, lookedAt);
        return new Attribution(AttributionStatus.Attributed)
        {
            Cause = CauseKind.Person,
            CauseId = actorEvent.CorrelationId ?? actorEvent.EventId,
            Actor = actor,
            Source = actorEvent,
            LinkedChange = linked?.EventId ?? actorEvent.Detail(SourceDetail.Ticket),
            Join = join,
        };
    }

    private SourceEvent? ChangeNaming(GraphObject obj, DateTimeOffset from, DateTimeOffset to, ImmutableArray<SourceEvent>.Builder lookedAt)
    {
        SourceEvent? found = null;
        for (var r = 0; r < ReferenceCount(obj); r++)
        {
            found = Latest(sources.ChangesNaming(Reference(obj, r), from, to, ChangeWindowMargin), lookedAt) is { } c && (found is null || c.At > found.At) ? c : found;
        }

        return found;
    }

    private static SourceEvent? Latest(SourceIndex.Overlaps candidates, ImmutableArray<SourceEvent>.Builder lookedAt)
    {
        SourceEvent? latest = null;
        foreach (var c in candidates)
        {
            lookedAt.Add(c);
            if (latest is null || c.At > latest.At)
            {
                latest = c;
            }
        }

        return latest;
    }

    /// <summary>The object's names (<see cref="GraphObject.References"/>: its id, then its aliases), by position, so a drift allocates no enumerator.</summary>
    private static int ReferenceCount(GraphObject obj) => obj.Aliases.IsDefaultOrEmpty ? 1 : 1 + obj.Aliases.Length;

    private static string Reference(GraphObject obj, int index) => index == 0 ? obj.Id : obj.Aliases[index - 1];

    private static Attribution Run(SourceEvent run, string? actor, string join) => new(AttributionStatus.Attributed)
    {
        Cause = CauseKind.TerraformRun,
        CauseId = run.EventId,
        Actor = actor ?? run.Actor,
        Source = run,
        LinkedChange = run.Detail(SourceDetail.Ticket),
        Join = join,
    };

    private static Attribution Change(SourceEvent change, string join) => new(AttributionStatus.Attributed)
    {
        Cause = CauseKind.ChangeRecord,
        CauseId = change.EventId,
        Actor = change.Actor,
        Source = change,
        LinkedChange = change.EventId,
        Join = join,
    };

    private static string? Actor(SourceEvent e) => e.Actor is { Length: > 0 } a && a is not "Unspecified" and not "System" ? a : null;

    /// <summary>Source field names differ from ours ("properties.allowBlobPublicAccess", "AppRoleAssignmentRequired", "app_role_assignment_required"): compare the last segment, ignoring case and punctuation.</summary>
    private static bool NamesField(SourceEvent e, string field)
    {
        var ours = LastSegment(field);
        foreach (var f in e.Fields)
        {
            if (SameName(LastSegment(f), ours) || SameName(f, field))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<char> LastSegment(string field)
    {
        var span = field.AsSpan();
        var dot = span.LastIndexOf('.');
        return dot >= 0 ? span[(dot + 1)..] : span;
    }

    /// <summary>Equal letters and digits, ignoring case and everything else, without allocating.</summary>
    private static bool SameName(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        int i = 0, j = 0;
        while (true)
        {
            while (i < a.Length && !char.IsAsciiLetterOrDigit(a[i]))
            {
                i++;
            }

            while (j < b.Length && !char.IsAsciiLetterOrDigit(b[j]))
            {
                j++;
            }

            if (i == a.Length || j == b.Length)
            {
                return i == a.Length && j == b.Length;
            }

            if (char.ToLowerInvariant(a[i++]) != char.ToLowerInvariant(b[j++]))
            {
                return false;
            }
        }
    }
}
