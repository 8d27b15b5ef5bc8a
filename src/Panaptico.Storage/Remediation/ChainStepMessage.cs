using System.Text.Json;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Storage.Remediation;

/// <summary>
/// A step of a change on the remediation queue: <c>{"changeId":"CHG-…","step":"apply-fix","version":4}</c>.
/// <paramref name="Version"/> is the state version that enqueued it (for logs; the handler decides by stage).
/// </summary>
public sealed record ChainStepMessage(ChangeId ChangeId, ChainStep Step, int Version)
{
    public string ToJson() => JsonSerializer.Serialize(this, RemediationJson.Options);

    /// <exception cref="FormatException">Not a step message.</exception>
    public static ChainStepMessage Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<ChainStepMessage>(json, RemediationJson.Options)
                ?? throw new FormatException("a step message cannot be null");
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a remediation step message: {e.Message}", e);
        }
    }
}

/// <summary>How the queue delivered a step: its id is stable across redeliveries; the count rises with each.</summary>
public sealed record StepDelivery(string MessageId, long DequeueCount, int MaxDequeueCount)
{
    public bool IsRetry => DequeueCount > 1;

    public bool IsLastAttempt => DequeueCount >= MaxDequeueCount;
}
