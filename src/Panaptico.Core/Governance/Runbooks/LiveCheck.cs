using System.Collections.Immutable;

namespace Panaptico.Core.Governance.Runbooks;

/// <summary>
/// A runbook step's live check: a kind of check (<c>kms.rotation</c>) a connector evaluates over its scope
/// (<c>aliasPrefix = alias/finance/</c>). Its items are judged against the step's expected values and recorded as
/// the check's own Pass/Fail, attributed to the check and to the person who asked for it.
/// </summary>
public sealed record LiveCheck(string Kind)
{
    public ImmutableSortedDictionary<string, string> Scope { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Who records the check's outcomes in the ledger: the check itself, by kind.</summary>
    public string Actor => $"check:{Kind}";
}

/// <summary>What reads the live state of one kind of check; registered by kind, validated when a task declares it.</summary>
public interface ILiveCheck
{
    /// <summary>e.g. <c>kms.rotation</c>.</summary>
    string Kind { get; }

    /// <summary>The connector that reads the state, recorded with the pull (e.g. <c>aws-kms</c>).</summary>
    string Connector { get; }

    /// <summary>Null when the scope is one this check understands; otherwise why not.</summary>
    string? ValidateScope(IReadOnlyDictionary<string, string> scope);

    /// <summary>The items in scope with what was observed on each (read only; safe to run again).</summary>
    Task<IReadOnlyList<LiveStateItem>> PullAsync(IReadOnlyDictionary<string, string> scope, CancellationToken cancellationToken);
}
