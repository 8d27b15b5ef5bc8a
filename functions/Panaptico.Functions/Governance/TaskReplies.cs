using Panaptico.Functions.Http;

namespace Panaptico.Functions.Governance;

/// <summary>What a governance write answers: the task page as it is now, or the refusal.</summary>
internal static class TaskReplies
{
    public static async Task<IResult> UpdatedAsync(GovernedExecution execution, string taskId, Answer<TaskUpdate> update, CancellationToken cancellationToken) =>
        update.IsAccepted
            ? await TaskAsync(execution, taskId, StatusCodes.Status200OK, cancellationToken)
            : Problems.Problem(update.Refusal);

    public static async Task<IResult> TaskAsync(GovernedExecution execution, string taskId, int status, CancellationToken cancellationToken)
    {
        var page = await execution.GetTaskAsync(taskId, cancellationToken);
        return page.IsAccepted
            ? Results.Json(GovernanceJsonViews.Task(page.Value), GovernanceJsonViews.Options, statusCode: status)
            : Problems.Problem(page.Refusal);
    }
}
