using Panaptico.Functions.Hosting;

namespace Panaptico.Functions.Governance;

/// <summary>
/// Timer (<c>%ApprovalExpirySchedule%</c>, every minute by default): re-routes or expires approval seats past their
/// expiry, after dispatching the task outbox rows that stopped writers left behind. It reads only the tasks the
/// open-gate and pending-outbox indexes name, never every task.
/// </summary>
public sealed class ApprovalExpiryFunction(GovernedExecution execution) : IFunctionHandler
{
    public const string Name = "ApprovalExpiry";

    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var changed = await execution.ExpireDueAsync(cancellationToken);
        invocation.Log($"approval expiry: {changed} task(s) had seats re-routed or expired");
        return FunctionResult.Empty;
    }
}
