using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;

namespace Panaptico.Core.Governance.Approvals;

/// <summary>
/// What an approver reviews before signing. Its <see cref="Hash"/> (SHA-256 of the RFC 8785 canonical JSON) goes into
/// every signature, so a signature is bound to exactly the pack its approver saw.
/// </summary>
public sealed record ContextPack(string Impact, string WorkloadDiff, ChangeWindow ChangeWindow, string PostureScope, string ReversalTrigger)
{
    public string Hash() => ContentHash.Sha256HexOfCanonical(ToJson());

    public JsonObject ToJson() => new()
    {
        ["impact"] = Impact,
        ["workloadDiff"] = WorkloadDiff,
        ["changeWindow"] = new JsonObject
        {
            ["start"] = GovernanceLedger.Time(ChangeWindow.Start),
            ["end"] = GovernanceLedger.Time(ChangeWindow.End),
        },
        ["postureScope"] = PostureScope,
        ["reversalTrigger"] = ReversalTrigger,
    };

    internal string? Problem() =>
        string.IsNullOrWhiteSpace(Impact) || string.IsNullOrWhiteSpace(WorkloadDiff) || string.IsNullOrWhiteSpace(PostureScope) || string.IsNullOrWhiteSpace(ReversalTrigger)
            ? "a context pack needs impact, workload diff, posture scope and reversal trigger"
            : ChangeWindow.End <= ChangeWindow.Start ? "the change window must end after it starts" : null;
}

public sealed record ChangeWindow(DateTimeOffset Start, DateTimeOffset End);
