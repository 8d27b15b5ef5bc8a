using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Limits;
using Panaptico.Core.Tests.Governance;

namespace Panaptico.Core.Tests.Text;

/// <summary>The decisions refuse text over the limits the API checks bodies against, naming the field.</summary>
public sealed class TextLimitsTests
{
    private readonly FakeTimeProvider _time = new(Sample.Start);
    private readonly Journal _journal = new();

    [Theory]
    [InlineData("rationale", TextLimits.Prose)]
    [InlineData("reason", TextLimits.Prose)]
    [InlineData("note", TextLimits.Prose)]
    [InlineData("workloadDiff", TextLimits.Prose)]
    [InlineData("title", TextLimits.Title)]
    [InlineData("ownerId", TextLimits.Name)]
    [InlineData("metric", TextLimits.Name)]
    public void Each_member_has_the_limit_of_its_kind(string member, int limit) => Assert.Equal(limit, TextLimits.OfMember(member));

    [Fact]
    public void A_transition_reason_over_the_prose_limit_is_refused_naming_the_reason_and_one_at_it_is_not()
    {
        var task = _journal.Ok(TaskLifecycle.Create(Sample.Plan, Sample.Task("TASK-0412"), [], Sample.Operator, _time.GetUtcNow())).Record;

        var refusal = Journal.Refused(TaskLifecycle.MarkReady(task, Sample.Operator, new string('r', TextLimits.Prose + 1), _time.GetUtcNow()), RefusalCode.Invalid);
        _journal.Ok(TaskLifecycle.MarkReady(task, Sample.Operator, new string('r', TextLimits.Prose), _time.GetUtcNow()));

        Assert.Equal($"reason is {TextLimits.Prose + 1} characters long; at most {TextLimits.Prose} are allowed", refusal.Message);
    }

    [Fact]
    public void A_task_or_plan_title_over_the_title_limit_is_refused()
    {
        var title = new string('t', TextLimits.Title + 1);

        Assert.Contains("title", Journal.Refused(TaskLifecycle.Create(Sample.Plan, Sample.Task("TASK-0412") with { Title = title }, [], Sample.Operator, _time.GetUtcNow()), RefusalCode.Invalid).Message, StringComparison.Ordinal);
        Assert.Contains("title", Journal.Refused(Plan.Create("PLAN-1", title, [new Wave("W1", 1, "w")], Sample.Operator, _time.GetUtcNow()), RefusalCode.Invalid).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_approval_rationale_over_the_prose_limit_is_refused_before_the_seat_is_signed()
    {
        var task = _journal.Ok(TaskApprovals.Route(Sample.Active(_journal, Sample.Task("TASK-0412"), _time.GetUtcNow()), Sample.Rules, Sample.KmsChange, Sample.Pack, Sample.Operator, _time.GetUtcNow()));
        var seat = task.Approvals!.Seats.First(s => s.Approver.Members.Contains(Sample.DPark.Id));

        var refusal = Journal.Refused(
            TaskApprovals.Approve(task, Sample.DPark, seat.Id, new string('r', TextLimits.Prose + 1), task.Approvals.ContextPackHash, _time.GetUtcNow()), RefusalCode.Invalid);

        Assert.StartsWith("rationale is", refusal.Message, StringComparison.Ordinal);
    }
}
