using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;
using Panaptico.Core.Evidence;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Core.Limits;
using Panaptico.Core.Notifications;

namespace Panaptico.Core.Governance.EvidenceGates;

/// <summary>
/// The evidence gate of a task: requirements declared up front, artifacts checked as they arrive, telemetry windows
/// that clear only once elapsed with their condition held. The latest artifact of a requirement governs it.
/// </summary>
public static class EvidenceGate
{
    /// <summary>Checks a set of requirements before a task is created; null when they are sound.</summary>
    public static string? Validate(IReadOnlyList<EvidenceRequirement> requirements)
    {
        var seen = new HashSet<string>();
        foreach (var requirement in requirements)
        {
            if (string.IsNullOrWhiteSpace(requirement.Id) || string.IsNullOrWhiteSpace(requirement.Title))
            {
                return "every evidence requirement needs an id and a title";
            }

            if (!seen.Add(requirement.Id))
            {
                return $"evidence requirement '{requirement.Id}' is declared twice";
            }

            if (requirement.WindowStartedAt is not null)
            {
                return $"evidence requirement '{requirement.Id}': a telemetry window starts when the bake starts, not at declaration";
            }

            switch (requirement.Kind)
            {
                case EvidenceKind.TelemetryWindow when requirement.Window is not { Duration.Ticks: > 0, MaxSampleGap.Ticks: > 0 } window || string.IsNullOrWhiteSpace(window.Metric):
                    return $"evidence requirement '{requirement.Id}': a telemetry window needs a positive duration, a metric and a positive sample gap";
                case EvidenceKind.TelemetryWindow when requirement.Check is not null:
                    return $"evidence requirement '{requirement.Id}': a telemetry window is checked by its window, not a row check";
                case not EvidenceKind.TelemetryWindow when requirement.Window is not null:
                    return $"evidence requirement '{requirement.Id}': only telemetry windows have a window";
            }

            if (requirement.Check?.RowsEqualRequirementId is { } other)
            {
                var referenced = requirements.FirstOrDefault(r => r.Id == other);
                if (referenced is null || other == requirement.Id || referenced.Kind == EvidenceKind.TelemetryWindow)
                {
                    return $"evidence requirement '{requirement.Id}': its count check references '{other}', which is not another row-counted requirement of this task";
                }
            }
        }

        return null;
    }

    /// <summary>Starts a telemetry window (the bake began at <paramref name="startedAt"/>); restarts only after a breach.</summary>
    public static Decision<TaskRecord> StartTelemetryWindow(TaskRecord record, string requirementId, DateTimeOffset startedAt, Principal by, string reason, DateTimeOffset now)
    {
        if (Refuse(record, by, reason) is { } refusal)
        {
            return refusal;
        }

        var requirement = record.Requirements.FirstOrDefault(r => r.Id == requirementId);
        if (requirement is null)
        {
            return Decision.Refuse(RefusalCode.NotFound, $"{record.Id} has no evidence requirement '{requirementId}'");
        }

        if (requirement.Kind != EvidenceKind.TelemetryWindow)
        {
            return Decision.Refuse(RefusalCode.Invalid, $"'{requirementId}' is a {requirement.Kind}, not a telemetry window");
        }

        if (startedAt > now)
        {
            return Decision.Refuse(RefusalCode.Invalid, $"a telemetry window cannot start in the future ({GovernanceLedger.Time(startedAt)})");
        }

        if (requirement.WindowStartedAt is { } started && Latest(record, requirement)?.Outcome != ArtifactOutcome.Rejected)
        {
            return Decision.Refuse(RefusalCode.Conflict, $"the '{requirementId}' window already started at {GovernanceLedger.Time(started)}; it restarts only after a breach");
        }

        var updated = requirement with { WindowStartedAt = startedAt, WindowElapsedAt = null };
        var next = record with
        {
            Requirements = record.Requirements.Replace(requirement, updated),
            Task = record.Task with { UpdatedAt = now },
        };
        var entry = GovernanceLedger.Entry("evidence.window-started", record.Id, by.Id, reason, now, new JsonObject
        {
            ["requirement"] = requirementId,
            ["startedAt"] = GovernanceLedger.Time(startedAt),
            ["endsAt"] = GovernanceLedger.Time(updated.WindowEndsAt!.Value),
            ["condition"] = requirement.Window!.Condition,
        });
        return Decision.Accept(next, [entry]);
    }

    /// <summary>
    /// The window that started at <paramref name="startedAt"/> has elapsed (its durable timer fired): recorded once,
    /// with the owner told to upload the telemetry export covering it. Anything else (the window restarted, already
    /// noted, not yet over by <paramref name="now"/>, the task closed or the export already judged) answers the record
    /// unchanged, so a timer that fires twice or late changes nothing.
    /// </summary>
    public static Decision<TaskRecord> WindowElapsed(TaskRecord record, string requirementId, DateTimeOffset startedAt, DateTimeOffset now)
    {
        var requirement = record.Requirements.FirstOrDefault(r => r.Id == requirementId);
        if (record.Task.IsTerminal
            || requirement is not { Kind: EvidenceKind.TelemetryWindow, WindowElapsedAt: null, WindowEndsAt: { } end }
            || requirement.WindowStartedAt != startedAt
            || end > now
            || Latest(record, requirement) is { Outcome: not ArtifactOutcome.Pending })
        {
            return Decision.Accept(record);
        }

        var next = record with
        {
            Requirements = record.Requirements.Replace(requirement, requirement with { WindowElapsedAt = now }),
            Task = record.Task with { UpdatedAt = now },
        };
        var reason = $"the {GovernanceText.Duration(requirement.Window!.Duration)} window that started {GovernanceText.Minute(startedAt)} elapsed at {GovernanceText.Minute(end)}; awaiting the telemetry export covering it";
        var entry = GovernanceLedger.Entry("evidence.window-elapsed", record.Id, GovernanceLedger.SystemActor, reason, now, new JsonObject
        {
            ["requirement"] = requirementId,
            ["startedAt"] = GovernanceLedger.Time(startedAt),
            ["endsAt"] = GovernanceLedger.Time(end),
            ["condition"] = requirement.Window.Condition,
        });
        var owner = new Notification("evidence.window-elapsed", record.Task.OwnerId, $"{record.Id}: the '{requirementId}' window elapsed",
            $"Upload the {requirement.Window.Metric} export covering {GovernanceText.Minute(startedAt)} to {GovernanceText.Minute(end)} to satisfy '{requirement.Title}'.",
            new JsonObject { ["task"] = record.Id, ["requirement"] = requirementId });
        return Decision.Accept(next, [entry], [owner]);
    }

    /// <summary>
    /// Records an artifact against a requirement. It is always kept (accepted, rejected with the reason, or pending);
    /// only an accepted one satisfies the requirement.
    /// </summary>
    public static Decision<TaskRecord> Capture(TaskRecord record, string requirementId, ArtifactContent content, Principal by, DateTimeOffset now)
    {
        if (Refuse(record, by, reason: "capture") is { } refusal)
        {
            return refusal;
        }

        var requirement = record.Requirements.FirstOrDefault(r => r.Id == requirementId);
        if (requirement is null)
        {
            return Decision.Refuse(RefusalCode.NotFound, $"{record.Id} has no evidence requirement '{requirementId}'");
        }

        if (content.Bytes.IsEmpty || string.IsNullOrWhiteSpace(content.FileName) || string.IsNullOrWhiteSpace(content.MediaType))
        {
            return Decision.Refuse(RefusalCode.Invalid, "an artifact needs a file name, a media type and at least one byte");
        }

        if (ArtifactName.Problem(content.FileName) is { } badName)
        {
            return Decision.Refuse(RefusalCode.Invalid, badName);
        }

        if (requirement is { Kind: EvidenceKind.TelemetryWindow, WindowStartedAt: null })
        {
            return Decision.Refuse(RefusalCode.Conflict, $"the '{requirementId}' telemetry window has not started; start it when the bake starts");
        }

        var reference = requirement.Check?.RowsEqualRequirementId is { } other
            ? Latest(record, record.Requirements.First(r => r.Id == other))
            : null;
        var verdict = ArtifactInspection.Inspect(requirement, content.Bytes, reference, now);
        var artifact = new EvidenceArtifact(
            Id: $"A{record.Artifacts.Length + 1}",
            RequirementId: requirementId,
            FileName: content.FileName,
            MediaType: content.MediaType,
            Sha256: ContentHash.Sha256Hex(content.Bytes.Span),
            Size: content.Bytes.Length,
            Summary: verdict.Summary,
            Outcome: verdict.Outcome,
            Reason: verdict.Reason,
            CapturedBy: by.Id,
            CapturedAt: now);
        var next = record with
        {
            Artifacts = record.Artifacts.Add(artifact),
            Task = record.Task with { UpdatedAt = now },
        };
        var kind = verdict.Outcome switch
        {
            ArtifactOutcome.Accepted => "evidence.accepted",
            ArtifactOutcome.Rejected => "evidence.rejected",
            _ => "evidence.pending",
        };
        var entry = GovernanceLedger.Entry(kind, record.Id, by.Id, verdict.Reason, now, new JsonObject
        {
            ["requirement"] = requirementId,
            ["artifact"] = artifact.Id,
            ["name"] = artifact.FileName,
            ["sha256"] = artifact.Sha256,
            ["size"] = artifact.Size,
            ["outcome"] = artifact.Outcome.ToString(),
        });
        return Decision.Accept(next, [entry]);
    }

    public static EvidenceGateStatus Evaluate(TaskRecord record, DateTimeOffset now) =>
        new([.. record.Requirements.Select(r => Progress(record, r, now))]);

    /// <summary>The artifact that governs a requirement: the latest one (for a window, the latest judged against its current start).</summary>
    public static EvidenceArtifact? Latest(TaskRecord record, EvidenceRequirement requirement)
    {
        for (var i = record.Artifacts.Length - 1; i >= 0; i--)
        {
            var artifact = record.Artifacts[i];
            if (artifact.RequirementId == requirement.Id)
            {
                // A window's artifacts were judged against its start; after a restart, older ones belong to the old window.
                return requirement.Kind == EvidenceKind.TelemetryWindow && artifact.Summary.CoveredFrom != requirement.WindowStartedAt ? null : artifact;
            }
        }

        return null;
    }

    private static RequirementProgress Progress(TaskRecord record, EvidenceRequirement requirement, DateTimeOffset now)
    {
        var latest = Latest(record, requirement);
        if (latest is { Outcome: ArtifactOutcome.Accepted })
        {
            return new RequirementProgress(requirement, RequirementStatus.Captured, latest.Reason, latest, Remaining: null);
        }

        if (latest is { Outcome: ArtifactOutcome.Rejected })
        {
            return new RequirementProgress(requirement, RequirementStatus.Rejected, latest.Reason, latest, Remaining: null);
        }

        if (requirement.Kind == EvidenceKind.TelemetryWindow)
        {
            if (requirement.WindowEndsAt is not { } end)
            {
                return new RequirementProgress(requirement, RequirementStatus.Missing,
                    $"window not started ({GovernanceText.Duration(requirement.Window!.Duration)} once the bake starts)", latest, Remaining: null);
            }

            return end > now
                ? new RequirementProgress(requirement, RequirementStatus.Waiting, $"{GovernanceText.Duration(end - now)} remaining", latest, end - now)
                : new RequirementProgress(requirement, RequirementStatus.Missing,
                    $"window elapsed at {GovernanceText.Minute(end)}; awaiting the telemetry export covering it", latest, TimeSpan.Zero);
        }

        return new RequirementProgress(requirement, RequirementStatus.Missing, "not captured", latest, Remaining: null);
    }

    private static Refusal? Refuse(TaskRecord record, Principal by, string reason)
    {
        if (!by.IsIn(Role.Operator))
        {
            return Decision.Refuse(RefusalCode.Forbidden, $"{by.Id} is not an operator; only operators capture evidence");
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            return Decision.Refuse(RefusalCode.Invalid, "a reason is required");
        }

        if (TextLimits.TooLong("reason", reason, TextLimits.Prose) is { } tooLong)
        {
            return Decision.Refuse(RefusalCode.Invalid, tooLong);
        }

        return record.Task.State is TaskState.Active or TaskState.Held
            ? null
            : Decision.Refuse(RefusalCode.Conflict, $"{record.Id} is {record.Task.State}; evidence is captured while it is Active or Held");
    }
}

public enum RequirementStatus
{
    Missing,
    Captured,
    Rejected,

    /// <summary>A telemetry window that is running; <see cref="RequirementProgress.Remaining"/> says how long.</summary>
    Waiting,
}

/// <param name="Detail">What a person reads beside the requirement: "312 keys", "24h remaining", a rejection reason.</param>
/// <param name="Artifact">The governing artifact, if any.</param>
public sealed record RequirementProgress(EvidenceRequirement Requirement, RequirementStatus Status, string Detail, EvidenceArtifact? Artifact, TimeSpan? Remaining);

public sealed record EvidenceGateStatus(ImmutableArray<RequirementProgress> Requirements)
{
    public int Captured => Requirements.Count(r => r.Status == RequirementStatus.Captured);

    public int Total => Requirements.Length;

    public bool IsClear => Captured == Total;

    /// <summary>"2 / 3 captured".</summary>
    public string Progress => $"{Captured} / {Total} captured";

    public DateTimeOffset? ClearedAt => IsClear && Total > 0 ? Requirements.Max(r => r.Artifact!.CapturedAt) : null;
}
