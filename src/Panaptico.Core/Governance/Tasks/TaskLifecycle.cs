using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;
using Panaptico.Core.Evidence;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.Completion;
using Panaptico.Core.Governance.Dependencies;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Limits;

namespace Panaptico.Core.Governance.Tasks;

/// <summary>
/// A task's lifecycle, one method per action. Every transition returns its ledger entry (stream "governance", with the
/// actor and the reason); a refusal returns nothing to store.
/// </summary>
public static class TaskLifecycle
{
    /// <param name="upstreams">The rows of every task named in <see cref="NewTask.UpstreamIds"/>.</param>
    public static Decision<CreatedTask> Create(Plan plan, NewTask spec, IReadOnlyList<GovernedTask> upstreams, Principal by, DateTimeOffset now)
    {
        if (!by.IsIn(Role.Operator))
        {
            return Decision.Refuse(RefusalCode.Forbidden, $"{by.Id} is not an operator; only operators create tasks");
        }

        if (string.IsNullOrWhiteSpace(spec.Id) || string.IsNullOrWhiteSpace(spec.Title) || string.IsNullOrWhiteSpace(spec.OwnerId))
        {
            return Decision.Refuse(RefusalCode.Invalid, "a task needs an id, a title and an owner");
        }

        if ((TextLimits.TooLong("title", spec.Title, TextLimits.Title) ?? TextLimits.TooLong("ownerId", spec.OwnerId, TextLimits.Name)) is { } tooLong)
        {
            return Decision.Refuse(RefusalCode.Invalid, tooLong);
        }

        if (spec.PlanId != plan.Id || plan.FindWave(spec.WaveId) is null)
        {
            return Decision.Refuse(RefusalCode.NotFound, $"plan {plan.Id} has no wave '{spec.WaveId}'{(spec.PlanId == plan.Id ? "" : $" (the task names plan {spec.PlanId})")}");
        }

        if (spec.UpstreamIds.Contains(spec.Id))
        {
            return Decision.Refuse(RefusalCode.Cycle, $"{spec.Id} cannot depend on itself: {spec.Id} → {spec.Id}",
                new JsonObject { ["cycle"] = GovernanceLedger.Array([spec.Id, spec.Id]) });
        }

        if (spec.UpstreamIds.Distinct().Count() != spec.UpstreamIds.Length)
        {
            return Decision.Refuse(RefusalCode.Invalid, $"{spec.Id} names an upstream task twice");
        }

        var rows = upstreams.ToDictionary(u => u.Id);
        foreach (var id in spec.UpstreamIds)
        {
            if (!rows.TryGetValue(id, out var upstream))
            {
                return Decision.Refuse(RefusalCode.NotFound, $"upstream task {id} does not exist");
            }

            if (upstream.State == TaskState.Cancelled)
            {
                return Decision.Refuse(RefusalCode.Conflict, $"upstream task {id} is cancelled and will never seal");
            }
        }

        if (EvidenceGate.Validate(spec.Requirements) is { } evidenceProblem)
        {
            return Decision.Refuse(RefusalCode.Invalid, evidenceProblem);
        }

        if (RunbookRun.Validate(spec.RunbookSteps) is { } runbookProblem)
        {
            return Decision.Refuse(RefusalCode.Invalid, runbookProblem);
        }

        // A new task has no downstream yet, so its upstream edges cannot close a cycle; only the self-edge can.
        var task = new GovernedTask
        {
            Id = spec.Id,
            PlanId = spec.PlanId,
            WaveId = spec.WaveId,
            Title = spec.Title,
            OwnerId = spec.OwnerId,
            RequesterId = by.Id,
            State = TaskState.Draft,
            UpstreamIds = spec.UpstreamIds,
            PendingUpstreamIds = [.. spec.UpstreamIds.Where(id => rows[id].State != TaskState.Sealed)],
            CreatedAt = now,
            UpdatedAt = now,
        };
        var record = new TaskRecord
        {
            Task = task,
            Requirements = spec.Requirements,
            Runbook = spec.RunbookSteps.IsEmpty ? null : new Runbook { Steps = spec.RunbookSteps },
        };
        var entry = GovernanceLedger.Entry("task.created", task.Id, by.Id, $"created in {plan.Id} / {spec.WaveId}: {spec.Title}", now, new JsonObject
        {
            ["plan"] = plan.Id,
            ["wave"] = spec.WaveId,
            ["owner"] = spec.OwnerId,
            ["to"] = nameof(TaskState.Draft),
            ["upstreams"] = GovernanceLedger.Array(spec.UpstreamIds),
            ["requirements"] = GovernanceLedger.Array(spec.Requirements.Select(r => r.Id)),
            ["runbookSteps"] = spec.RunbookSteps.Length,
        });
        return Decision.Accept(new CreatedTask(record, [.. spec.UpstreamIds.Select(id => new DependencyEdge(id, spec.Id))]), [entry]);
    }

    /// <summary>Draft → Ready, or → Blocked while an upstream is unsealed. Requirements are frozen from here on.</summary>
    public static Decision<TaskRecord> MarkReady(TaskRecord record, Principal by, string reason, DateTimeOffset now)
    {
        if (Refuse(record, by, reason, TaskState.Draft) is { } refusal)
        {
            return refusal;
        }

        if (record.Requirements.IsEmpty)
        {
            return Decision.Refuse(RefusalCode.Invalid, $"{record.Id} declares no evidence requirement; nothing ships without its evidence");
        }

        return Move(record, record.Task.PendingUpstreamIds.IsEmpty ? TaskState.Ready : TaskState.Blocked, by.Id, reason, now);
    }

    /// <summary>Ready → Active.</summary>
    public static Decision<TaskRecord> Start(TaskRecord record, Principal by, string reason, DateTimeOffset now)
    {
        if (record.Task.State == TaskState.Blocked)
        {
            return Decision.Refuse(RefusalCode.Conflict, $"{record.Id} is Blocked until {string.Join(", ", record.Task.PendingUpstreamIds)} seal{(record.Task.PendingUpstreamIds.Length == 1 ? "s" : "")}");
        }

        return Refuse(record, by, reason, TaskState.Ready) ?? Move(record, TaskState.Active, by.Id, reason, now);
    }

    /// <summary>Active → Held (work paused or waiting on its gates).</summary>
    public static Decision<TaskRecord> Hold(TaskRecord record, Principal by, string reason, DateTimeOffset now) =>
        Refuse(record, by, reason, TaskState.Active) ?? Move(record, TaskState.Held, by.Id, reason, now);

    /// <summary>Held → Active.</summary>
    public static Decision<TaskRecord> Resume(TaskRecord record, Principal by, string reason, DateTimeOffset now) =>
        Refuse(record, by, reason, TaskState.Held) ?? Move(record, TaskState.Active, by.Id, reason, now);

    /// <summary>Any open state → Cancelled with the reason.</summary>
    public static Decision<TaskRecord> Cancel(TaskRecord record, Principal by, string reason, DateTimeOffset now) =>
        Refuse(record, by, reason, TaskState.Draft, TaskState.Ready, TaskState.Blocked, TaskState.Active, TaskState.Held)
        ?? Close(record, ClosureKind.Cancelled, by.Id, reason, now);

    /// <summary>
    /// The completion lock. With any gate open: refused (<see cref="RefusalCode.GateOpen"/>) with the exact unlock
    /// conditions. With every gate clear: what to seal, for the evidence sealer; then call <see cref="Seal"/>.
    /// </summary>
    /// <param name="upstreams">The rows of the task's upstream tasks, for their seals.</param>
    public static Decision<SealRequest> Complete(TaskRecord record, IReadOnlyList<GovernedTask> upstreams, Principal by, DateTimeOffset now)
    {
        var completion = CompletionLock.Evaluate(record, now);
        if (Refuse(record, by, "complete", TaskState.Active, TaskState.Held) is { } refusal)
        {
            // Out of state, the caller still hears what completing would take, as every refused "complete" says it.
            return refusal.Code != RefusalCode.Conflict || record.Task.State == TaskState.Cancelled
                ? refusal
                : refusal with
                {
                    Message = $"{refusal.Message}; {completion.Summary}",
                    Data = StateAndLock(record.Task.State, [TaskState.Active, TaskState.Held], completion),
                    Lock = completion,
                };
        }

        if (completion.IsLocked)
        {
            return new Refusal(RefusalCode.GateOpen, completion.Summary, completion.ToJson()) { Lock = completion };
        }

        return SealRequestOf(record, upstreams, now) is { } request
            ? Decision.Accept(request)
            : Decision.Refuse(RefusalCode.Invalid, $"the sealed upstream rows of {record.Id} ({string.Join(", ", record.Task.UpstreamIds)}) must be supplied to cite their seals");
    }

    /// <summary>Records the sealed bundle: Active/Held → Sealed. Then release downstream with <see cref="DependencyGate.OnUpstreamSealed"/>.</summary>
    /// <param name="bundleDigest">The sealed bundle's digest (64 lowercase hex).</param>
    public static Decision<TaskRecord> Seal(TaskRecord record, string bundleDigest, Principal by, DateTimeOffset now)
    {
        if (Refuse(record, by, "seal", TaskState.Active, TaskState.Held) is { } refusal)
        {
            return refusal;
        }

        if (!ContentHash.IsSha256Hex(bundleDigest))
        {
            return Decision.Refuse(RefusalCode.Invalid, "the bundle digest must be 64 lowercase hex digits");
        }

        var completion = CompletionLock.Evaluate(record, now);
        if (completion.IsLocked)
        {
            return new Refusal(RefusalCode.GateOpen, completion.Summary, completion.ToJson()) { Lock = completion };
        }

        var task = record.Task with { State = TaskState.Sealed, Seal = new TaskSeal(bundleDigest, by.Id, now), UpdatedAt = now };
        var entry = Transition(record.Task, task, by.Id, "every gate clear; evidence bundle sealed", now);
        entry.Data!["bundleDigest"] = bundleDigest;
        return Decision.Accept(record with { Task = task }, [entry]);
    }

    /// <summary>What a seal of this task needs (call once every gate is clear); null when an upstream row or seal is missing.</summary>
    internal static SealRequest? SealRequestOf(TaskRecord record, IReadOnlyList<GovernedTask> upstreams, DateTimeOffset now)
    {
        var upstreamSeals = new List<UpstreamSeal>();
        foreach (var id in record.Task.UpstreamIds)
        {
            if (upstreams.FirstOrDefault(u => u.Id == id)?.Seal is not { } seal)
            {
                return null;
            }

            upstreamSeals.Add(new UpstreamSeal(new BundleSubject(BundleSubject.Task, id), seal.BundleDigest));
        }

        var evidence = EvidenceGate.Evaluate(record, now);
        var accepted = evidence.Requirements.Where(r => r.Status == RequirementStatus.Captured).Select(r => r.Artifact!).ToList();
        var clashing = accepted.GroupBy(a => a.FileName).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        var artifacts = accepted.Select(a => new ManifestArtifact(
            a.RequirementId,
            clashing.Contains(a.FileName) ? $"{a.RequirementId}/{a.FileName}" : a.FileName,
            a.Sha256,
            a.Size,
            a.MediaType,
            a.CapturedBy,
            a.CapturedAt)).ToList();

        var approvals = new List<ManifestApproval>();
        var gates = new List<ManifestGate>();
        if (evidence.ClearedAt is { } evidenceCleared)
        {
            gates.Add(new ManifestGate("evidence", evidenceCleared));
        }

        if (record.Approvals is { } gate)
        {
            foreach (var seat in gate.Seats.Where(s => s.State == SeatState.Signed))
            {
                var signature = gate.ValidSignatureOf(seat.Id)!;
                approvals.Add(new ManifestApproval(
                    seat.Id,
                    signature.ApproverId,
                    signature.SignedAt,
                    "approved",
                    signature.Rationale,
                    $"{seat.RoutedBecause} [rule {seat.RuleId}, rules {seat.RulesVersion}]",
                    signature.ContextPackHash));
            }

            gates.Add(new ManifestGate("approval", approvals.Select(a => a.At).Append(gate.RoutedAt).Max()));
        }

        if (!record.Task.UpstreamIds.IsEmpty)
        {
            gates.Add(new ManifestGate("dependency", upstreams.Where(u => record.Task.UpstreamIds.Contains(u.Id)).Max(u => u.Seal!.SealedAt)));
        }

        if (record.Runbook is { Outcomes.IsEmpty: false } runbook)
        {
            gates.Add(new ManifestGate("runbook", runbook.Outcomes.Max(o => o.At)));
        }

        return new SealRequest(new BundleSubject(BundleSubject.Task, record.Id), artifacts, approvals, gates, upstreamSeals);
    }

    /// <summary>The ledger entry of a state change, named by what happened ("task.started", "task.released", …).</summary>
    public static LedgerEntry Transition(GovernedTask from, GovernedTask to, string actor, string reason, DateTimeOffset now)
    {
        var kind = (from.State, to.State) switch
        {
            (TaskState.Blocked, TaskState.Ready) => "task.released",
            (_, TaskState.Ready) => "task.ready",
            (_, TaskState.Blocked) => "task.blocked",
            (TaskState.Held, TaskState.Active) => "task.resumed",
            (_, TaskState.Active) => "task.started",
            (_, TaskState.Held) => "task.held",
            (_, TaskState.Sealed) => "task.sealed",
            (_, TaskState.Cancelled) when to.Closure?.Kind == ClosureKind.WontFix => "task.closed-wont-fix",
            (_, TaskState.Cancelled) => "task.cancelled",
            _ => $"task.{to.State.ToString().ToLowerInvariant()}",
        };
        return GovernanceLedger.Entry(kind, to.Id, actor, reason, now, new JsonObject
        {
            ["from"] = from.State.ToString(),
            ["to"] = to.State.ToString(),
        });
    }

    internal static Decision<TaskRecord> Close(TaskRecord record, ClosureKind kind, string actor, string reason, DateTimeOffset now)
    {
        var task = record.Task with { State = TaskState.Cancelled, Closure = new TaskClosure(kind, reason, actor, now), UpdatedAt = now };
        return Decision.Accept(record with { Task = task }, [Transition(record.Task, task, actor, reason, now)]);
    }

    private static Decision<TaskRecord> Move(TaskRecord record, TaskState to, string actor, string reason, DateTimeOffset now)
    {
        var task = record.Task with { State = to, UpdatedAt = now };
        return Decision.Accept(record with { Task = task }, [Transition(record.Task, task, actor, reason, now)]);
    }

    private static JsonObject StateAndLock(TaskState state, TaskState[] needs, CompletionLock completion)
    {
        var data = completion.ToJson();
        data["state"] = state.ToString();
        data["needs"] = GovernanceLedger.Array(needs.Select(s => s.ToString()));
        return data;
    }

    private static Refusal? Refuse(TaskRecord record, Principal by, string reason, params TaskState[] allowed)
    {
        if (!by.IsIn(Role.Operator))
        {
            return Decision.Refuse(RefusalCode.Forbidden, $"{by.Id} is not an operator; only operators run tasks");
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            return Decision.Refuse(RefusalCode.Invalid, "a reason is required for every transition");
        }

        if (TextLimits.TooLong("reason", reason, TextLimits.Prose) is { } tooLong)
        {
            return Decision.Refuse(RefusalCode.Invalid, tooLong);
        }

        if (allowed.Contains(record.Task.State))
        {
            return null;
        }

        var closure = record.Task.Closure is { } c ? $" ({(c.Kind == ClosureKind.WontFix ? "won't-fix" : "cancelled")}: {c.Reason})" : "";
        return Decision.Refuse(RefusalCode.Conflict, $"{record.Id} is {record.Task.State}{closure}; this needs it to be {string.Join(" or ", allowed)}");
    }
}
