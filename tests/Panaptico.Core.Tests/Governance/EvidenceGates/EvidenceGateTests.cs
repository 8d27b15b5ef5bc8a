using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Canonical;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Core.Tests.Governance.EvidenceGates;

public sealed class EvidenceGateTests
{
    private readonly FakeTimeProvider _time = new(Sample.Start);
    private readonly Journal _journal = new();

    private static readonly EvidenceRequirement s_post = new("kms-post", "KMS ListKeys · post-snapshot", EvidenceKind.FileExport)
    {
        Check = new EvidenceCheck { RowsEqualRequirementId = "kms-pre", Unit = "keys" },
    };

    private TaskRecord Active(params EvidenceRequirement[] extra) =>
        Sample.Active(_journal, Sample.Task("TASK-0412") with { Requirements = [.. Sample.Task0412Requirements, .. extra] }, _time.GetUtcNow());

    [Fact]
    public void Count_before_equals_count_after_accepts_the_post_snapshot()
    {
        var task = _journal.Ok(EvidenceGate.Capture(Active(s_post), "kms-pre", Sample.Keys(312), Sample.Operator, _time.GetUtcNow()));

        task = _journal.Ok(EvidenceGate.Capture(task, "kms-post", Sample.Keys(312, "kms-post.jsonl"), Sample.Operator, _time.GetUtcNow()));

        var post = task.Artifacts[^1];
        Assert.Equal((ArtifactOutcome.Accepted, "312 keys (= 312 in 'kms-pre')"), (post.Outcome, post.Reason));
    }

    [Fact]
    public void An_artifact_failing_its_check_is_kept_as_evidence_with_the_reason_but_does_not_satisfy()
    {
        var task = _journal.Ok(EvidenceGate.Capture(Active(s_post), "kms-pre", Sample.Keys(312), Sample.Operator, _time.GetUtcNow()));
        var bytes = Sample.Keys(311, "kms-post.jsonl");

        task = _journal.Ok(EvidenceGate.Capture(task, "kms-post", bytes, Sample.Operator, _time.GetUtcNow()));

        var kept = task.Artifacts[^1];
        Assert.Equal((ArtifactOutcome.Rejected, "count before = count after failed: 'kms-pre' has 312, this has 311"), (kept.Outcome, kept.Reason));
        Assert.Equal((ContentHash.Sha256Hex(bytes.Bytes.Span), (long)bytes.Bytes.Length, 311), (kept.Sha256, kept.Size, kept.Summary.Rows));
        var post = EvidenceGate.Evaluate(task, _time.GetUtcNow()).Requirements.Single(r => r.Requirement.Id == "kms-post");
        Assert.Equal((RequirementStatus.Rejected, kept.Reason), (post.Status, post.Detail));
        Assert.Equal(("evidence.rejected", kept.Reason), (_journal.Ledger[^1].Kind, (string?)_journal.Ledger[^1].Data!["reason"]));
    }

    [Fact]
    public void A_post_snapshot_before_any_accepted_pre_snapshot_is_rejected_with_the_reason()
    {
        var task = _journal.Ok(EvidenceGate.Capture(Active(s_post), "kms-post", Sample.Keys(312, "kms-post.jsonl"), Sample.Operator, _time.GetUtcNow()));

        Assert.Equal("count before = count after: 'kms-pre' has no accepted artifact to compare with yet", task.Artifacts[^1].Reason);
    }

    [Fact]
    public void A_query_export_must_have_the_expected_shape()
    {
        var task = Active();

        task = _journal.Ok(EvidenceGate.Capture(task, "cloudtrail-rotatekey", Sample.RotateKeyEvents(13), Sample.Operator, _time.GetUtcNow()));
        Assert.Equal("expected 14 rows, got 13", task.Artifacts[^1].Reason);
        task = _journal.Ok(EvidenceGate.Capture(task, "cloudtrail-rotatekey", Sample.RotateKeyEvents(14, "Encrypt"), Sample.Operator, _time.GetUtcNow()));
        Assert.Equal("line 1: eventName is 'Encrypt', expected 'RotateKey'", task.Artifacts[^1].Reason);
        task = _journal.Ok(EvidenceGate.Capture(task, "cloudtrail-rotatekey", Sample.Ndjson("ct.ndjson", ["{\"eventName\":\"RotateKey\",\"keyId\":\"k1\"}", "{not json"]), Sample.Operator, _time.GetUtcNow()));
        Assert.StartsWith("line 2 is not JSON", task.Artifacts[^1].Reason, StringComparison.Ordinal);
        Assert.Equal(RequirementStatus.Rejected, EvidenceGate.Evaluate(task, _time.GetUtcNow()).Requirements[1].Status);

        task = _journal.Ok(EvidenceGate.Capture(task, "cloudtrail-rotatekey", Sample.RotateKeyEvents(14), Sample.Operator, _time.GetUtcNow()));

        Assert.Equal(4, task.Artifacts.Length);
        var progress = EvidenceGate.Evaluate(task, _time.GetUtcNow()).Requirements[1];
        Assert.Equal((RequirementStatus.Captured, "14 rows", "A4"), (progress.Status, progress.Detail, progress.Artifact!.Id));
    }

    [Fact]
    public void A_telemetry_window_clears_only_once_elapsed_with_the_condition_held()
    {
        var task = Active();
        Journal.Refused(EvidenceGate.Capture(task, "job-telemetry", Sample.Telemetry(Sample.Start, Sample.Start), Sample.Operator, _time.GetUtcNow()), RefusalCode.Conflict);
        var bakeStart = _time.GetUtcNow();
        task = _journal.Ok(EvidenceGate.StartTelemetryWindow(task, "job-telemetry", bakeStart, Sample.Operator, "bake starts", bakeStart));
        Assert.Equal("48h remaining", EvidenceGate.Evaluate(task, _time.GetUtcNow()).Requirements[2].Detail);

        _time.Advance(TimeSpan.FromHours(30));
        task = _journal.Ok(EvidenceGate.Capture(task, "job-telemetry", Sample.Telemetry(bakeStart, _time.GetUtcNow()), Sample.Operator, _time.GetUtcNow()));
        Assert.Equal((ArtifactOutcome.Pending, "held for 30h of 48h (peak 0.4); 18h remaining"), (task.Artifacts[^1].Outcome, task.Artifacts[^1].Reason));
        var waiting = EvidenceGate.Evaluate(task, _time.GetUtcNow()).Requirements[2];
        Assert.Equal((RequirementStatus.Waiting, "18h remaining", TimeSpan.FromHours(18)), (waiting.Status, waiting.Detail, waiting.Remaining));

        _time.Advance(TimeSpan.FromHours(18));
        Assert.Equal("window elapsed at 2026-04-23 13:00Z; awaiting the telemetry export covering it", EvidenceGate.Evaluate(task, _time.GetUtcNow()).Requirements[2].Detail);
        task = _journal.Ok(EvidenceGate.Capture(task, "job-telemetry", Sample.Telemetry(bakeStart, _time.GetUtcNow()), Sample.Operator, _time.GetUtcNow()));

        var held = EvidenceGate.Evaluate(task, _time.GetUtcNow()).Requirements[2];
        Assert.Equal((RequirementStatus.Captured, "48h held · peak 0.4 ≤ 2"), (held.Status, held.Detail));
    }

    [Fact]
    public void The_window_elapsing_is_noted_once_per_start_and_asks_the_owner_for_the_export_covering_it()
    {
        var task = Active();
        var bakeStart = _time.GetUtcNow();
        task = _journal.Ok(EvidenceGate.StartTelemetryWindow(task, "job-telemetry", bakeStart, Sample.Operator, "bake starts", bakeStart));
        var end = bakeStart.AddHours(48);

        // Early, or for another start: the record unchanged, nothing recorded.
        Assert.Same(task, _journal.Ok(EvidenceGate.WindowElapsed(task, "job-telemetry", bakeStart, end.AddMinutes(-1))));
        Assert.Same(task, _journal.Ok(EvidenceGate.WindowElapsed(task, "job-telemetry", bakeStart.AddHours(-1), end)));
        var before = _journal.Ledger.Count;

        task = _journal.Ok(EvidenceGate.WindowElapsed(task, "job-telemetry", bakeStart, end));

        Assert.Equal(end, task.Requirements.Single(r => r.Id == "job-telemetry").WindowElapsedAt);
        var entry = Assert.Single(_journal.Ledger.Skip(before));
        Assert.Equal(("evidence.window-elapsed", "system:governance"), (entry.Kind, entry.Actor));
        var owner = Assert.Single(_journal.Notifications, n => n.Kind == "evidence.window-elapsed");
        Assert.Equal(task.Task.OwnerId, owner.Recipient);
        // A timer that fires again changes nothing.
        Assert.Same(task, _journal.Ok(EvidenceGate.WindowElapsed(task, "job-telemetry", bakeStart, end.AddMinutes(5))));
        Assert.Single(_journal.Ledger.Skip(before));
    }

    [Fact]
    public void A_breach_inside_the_window_rejects_the_telemetry_and_the_window_can_restart()
    {
        var task = Active();
        var bakeStart = _time.GetUtcNow();
        task = _journal.Ok(EvidenceGate.StartTelemetryWindow(task, "job-telemetry", bakeStart, Sample.Operator, "bake starts", bakeStart));
        Journal.Refused(EvidenceGate.StartTelemetryWindow(task, "job-telemetry", bakeStart, Sample.Operator, "again", bakeStart), RefusalCode.Conflict);
        _time.Advance(TimeSpan.FromHours(10));

        task = _journal.Ok(EvidenceGate.Capture(task, "job-telemetry",
            Sample.Telemetry(bakeStart, _time.GetUtcNow(), at => at == bakeStart.AddHours(7) ? 3.1 : 0.2), Sample.Operator, _time.GetUtcNow()));

        Assert.Equal("job_failure_pct was 3.1 at 2026-04-21 20:00Z, above 2: the condition broke inside the window", task.Artifacts[^1].Reason);
        Assert.Equal(RequirementStatus.Rejected, EvidenceGate.Evaluate(task, _time.GetUtcNow()).Requirements[2].Status);
        task = _journal.Ok(EvidenceGate.StartTelemetryWindow(task, "job-telemetry", _time.GetUtcNow(), Sample.Operator, "rolled back and re-applied", _time.GetUtcNow()));
        Assert.Equal("48h remaining", EvidenceGate.Evaluate(task, _time.GetUtcNow()).Requirements[2].Detail);
    }

    [Fact]
    public void Telemetry_with_a_gap_longer_than_allowed_cannot_show_the_window_held()
    {
        var task = Active();
        var bakeStart = _time.GetUtcNow();
        task = _journal.Ok(EvidenceGate.StartTelemetryWindow(task, "job-telemetry", bakeStart, Sample.Operator, "bake starts", bakeStart));
        _time.Advance(TimeSpan.FromHours(48));

        task = _journal.Ok(EvidenceGate.Capture(task, "job-telemetry", Sample.Telemetry(bakeStart, _time.GetUtcNow(), step: TimeSpan.FromHours(6)), Sample.Operator, _time.GetUtcNow()));

        Assert.Equal("no job_failure_pct samples between 2026-04-21 13:00Z and 2026-04-21 19:00Z (gap 6h > 1h): the window cannot be shown to have held", task.Artifacts[^1].Reason);
    }

    [Fact]
    public void Evidence_is_captured_only_while_the_task_is_active_or_held()
    {
        var draft = _journal.Ok(TaskLifecycle.Create(Sample.Plan, Sample.Task("TASK-0412"), [], Sample.Operator, _time.GetUtcNow())).Record;

        var refusal = Journal.Refused(EvidenceGate.Capture(draft, "export", Sample.ConfigFile(), Sample.Operator, _time.GetUtcNow()), RefusalCode.Conflict);

        Assert.Equal("TASK-0412 is Draft; evidence is captured while it is Active or Held", refusal.Message);
    }

    [Fact]
    public void Requirements_with_a_dangling_count_reference_are_refused_at_creation()
    {
        var spec = Sample.Task("TASK-0412") with { Requirements = [s_post] };

        var refusal = Journal.Refused(TaskLifecycle.Create(Sample.Plan, spec, [], Sample.Operator, _time.GetUtcNow()), RefusalCode.Invalid);

        Assert.Equal("evidence requirement 'kms-post': its count check references 'kms-pre', which is not another row-counted requirement of this task", refusal.Message);
    }
}
