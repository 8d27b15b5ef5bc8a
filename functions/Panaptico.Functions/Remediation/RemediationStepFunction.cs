using System.Globalization;
using System.Text.Json.Nodes;
using Panaptico.Functions.Hosting;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Remediation;

/// <summary>
/// Runs one step of a change from the remediation queue. A failure is thrown back to the trigger, which redelivers
/// the message; on its last delivery (host.json <c>maxDequeueCount</c>) the chain parks the change as stuck instead.
/// A message that is not a step message is thrown back too, and ends in the poison queue.
/// </summary>
public sealed class RemediationStepFunction(DurableChangeChain chain, HostSettings host, ILogger<RemediationStepFunction> logger) : IFunctionHandler
{
    public const string Name = "RemediationStep";

    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        // The host passes a JSON message as a string, or already parsed.
        var body = invocation.Trigger switch
        {
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            JsonObject message => message.ToJsonString(),
            _ => throw new FormatException("the remediation step message is neither text nor a JSON object"),
        };
        var step = ChainStepMessage.Parse(body);
        var delivery = new StepDelivery(
            Metadata(invocation, "Id") ?? "",
            long.TryParse(Metadata(invocation, "DequeueCount"), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 1,
            host.Queues.MaxDequeueCount);
        var outcome = await chain.RunStepAsync(step, delivery, cancellationToken);
        if (outcome == StepOutcome.Parked)
        {
            logger.LogError("{Change} parked as stuck: {Step} failed on delivery {Count}", step.ChangeId, step.Step, delivery.DequeueCount);
        }
        invocation.Log($"{step.ChangeId} {step.Step}: {outcome}");
        return FunctionResult.Empty;
    }

    // Metadata values arrive as JSON strings or numbers, depending on the host.
    private static string? Metadata(FunctionInvocation invocation, string name) =>
        invocation.Metadata[name] is JsonValue value
            ? value.TryGetValue<string>(out var text) ? text : value.ToJsonString()
            : null;
}
