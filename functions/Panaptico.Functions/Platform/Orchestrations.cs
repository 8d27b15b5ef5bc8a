using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Panaptico.Functions.Platform;

public static class Orchestrations
{
    /// <summary>
    /// Schedules <paramref name="name"/> under <paramref name="instanceId"/> unless an instance with that id is there and
    /// <paramref name="counts"/>; true when this call scheduled it. The input is built only when it does.
    /// </summary>
    /// <remarks>
    /// Two callers may race on one id. Each backend says "already exists" its own way, so a failed start looks again:
    /// an instance that counts is the other caller's, anything else is a real failure.
    /// </remarks>
    public static async Task<bool> ScheduleOnceAsync(
        this DurableTaskClient client, TaskName name, string instanceId, Func<object?> input,
        Func<OrchestrationMetadata, bool> counts, CancellationToken cancellationToken)
    {
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is { } existing && counts(existing))
        {
            return false;
        }
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(name, input(), new StartOrchestrationOptions(instanceId), cancellationToken);
            return true;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is { } raced && counts(raced))
            {
                return false;
            }
            throw;
        }
    }
}
