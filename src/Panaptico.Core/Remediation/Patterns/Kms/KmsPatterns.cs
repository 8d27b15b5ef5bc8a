namespace Panaptico.Core.Remediation.Patterns.Kms;

/// <summary>The AWS KMS key patterns, in id order.</summary>
public static class KmsPatterns
{
    public static IReadOnlyList<ViolationPattern> All { get; } = [new KeyRotationDisabled()];
}
