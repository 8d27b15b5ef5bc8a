using System.Collections.Immutable;
using System.Globalization;
using Panaptico.Core.Governance.Runbooks;

namespace Panaptico.Connectors.Kms;

/// <summary>
/// The <c>kms.rotation</c> live check: each key in the step's scope (inside the governed scope) with its rotation flag
/// and period as KMS reports them. Items are key ARNs; observed <c>rotation</c> is <c>enabled</c>, <c>disabled</c> or
/// <c>not-rotatable</c> (with <c>reason</c>), <c>period</c> is e.g. <c>365d</c> when KMS reports one.
/// </summary>
public sealed class KmsRotationCheck(KmsConnector connector) : ILiveCheck
{
    public const string KindName = "kms.rotation";

    public string Kind => KindName;

    public string Connector => KmsConnector.Name;

    public string? ValidateScope(IReadOnlyDictionary<string, string> scope)
    {
        KmsScope.Parse(scope, out var problem);
        return problem;
    }

    public async Task<IReadOnlyList<LiveStateItem>> PullAsync(IReadOnlyDictionary<string, string> scope, CancellationToken cancellationToken)
    {
        var narrower = KmsScope.Parse(scope, out var problem) ?? throw new ArgumentException(problem, nameof(scope));
        var rotations = await connector.ReadRotationAsync(narrower, cancellationToken);
        return [.. rotations.Select(r => new LiveStateItem(r.Key.Arn, Observed(r)))];
    }

    private static ImmutableSortedDictionary<string, string> Observed(KmsKeyRotation rotation)
    {
        var observed = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        observed["rotation"] = rotation.Enabled switch { true => "enabled", false => "disabled", null => "not-rotatable" };
        if (rotation.Key.NotRotatable is { } why)
        {
            observed["reason"] = why;
        }

        if (rotation.Enabled == true && rotation.PeriodInDays is { } days)
        {
            observed["period"] = days.ToString(CultureInfo.InvariantCulture) + "d";
        }

        observed["keyManager"] = rotation.Key.KeyManager;
        observed["keyState"] = rotation.Key.KeyState;
        observed["keySpec"] = rotation.Key.KeySpec;
        return observed.ToImmutable();
    }
}
