using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using Panaptico.Core.Governance.Completion;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;

namespace Panaptico.Core.Governance;

/// <summary>Why a governance action was refused; the HTTP layer maps the code to a status.</summary>
public enum RefusalCode
{
    /// <summary>The input is malformed or incomplete (400).</summary>
    Invalid,

    /// <summary>The caller lacks the role, or is not an approver of the seat (403).</summary>
    Forbidden,

    /// <summary>Segregation of duties: the requester approving, or one person filling two seats (403).</summary>
    SegregationOfDuties,

    /// <summary>A named task, requirement, seat or step does not exist (404).</summary>
    NotFound,

    /// <summary>The subject is in a state that does not allow the action (409).</summary>
    Conflict,

    /// <summary>Completion lock: a gate is open; <see cref="Refusal.Lock"/> says what unlocks it (409).</summary>
    GateOpen,

    /// <summary>A dependency would close a cycle; the message names it (409).</summary>
    Cycle,

    /// <summary>An approval seat expired before the signature arrived (410 Gone, as for a change's expired approval).</summary>
    Expired,

    /// <summary>The approver saw another context pack than the current one (409).</summary>
    StaleContext,
}

/// <param name="Data">Structured detail for problem+json (unlock conditions, the cycle, the current hash).</param>
public sealed record Refusal(RefusalCode Code, string Message, JsonObject? Data = null)
{
    /// <summary>Set when <see cref="Code"/> is <see cref="RefusalCode.GateOpen"/>.</summary>
    public CompletionLock? Lock { get; init; }
}

/// <summary>
/// The answer of every governance action: either the new state with the ledger entries and notifications the caller
/// must append and send, or a refusal with nothing changed (the inputs are immutable, so a refusal cannot have touched them).
/// </summary>
public sealed record Decision<T>
    where T : class
{
    internal Decision(T? value, Refusal? refusal, ImmutableArray<LedgerEntry> ledger, ImmutableArray<Notification> notifications)
    {
        Value = value;
        Refusal = refusal;
        Ledger = ledger;
        Notifications = notifications;
    }

    public T? Value { get; }

    public Refusal? Refusal { get; }

    /// <summary>Entries to append, in order, after the new state is stored.</summary>
    public ImmutableArray<LedgerEntry> Ledger { get; }

    public ImmutableArray<Notification> Notifications { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Refusal))]
    public bool IsAccepted => Refusal is null;

    public static implicit operator Decision<T>(Refusal refusal) => new(null, refusal, [], []);
}

public static class Decision
{
    public static Decision<T> Accept<T>(T value, IEnumerable<LedgerEntry>? ledger = null, IEnumerable<Notification>? notifications = null)
        where T : class =>
        new(value, null, ledger is null ? [] : [.. ledger], notifications is null ? [] : [.. notifications]);

    public static Refusal Refuse(RefusalCode code, string message, JsonObject? data = null) => new(code, message, data);
}
