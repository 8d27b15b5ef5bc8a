using System.Diagnostics.CodeAnalysis;
using Panaptico.Core.Remediation.Patterns.Kms;
using Panaptico.Core.Remediation.Patterns.S3;
using Panaptico.Core.Remediation.Patterns.Storage;

namespace Panaptico.Core.Remediation;

/// <summary>The violation library, keyed by pattern id.</summary>
public sealed class PatternRegistry
{
    private readonly Dictionary<string, ViolationPattern> _patterns;

    public PatternRegistry(IEnumerable<ViolationPattern> patterns)
    {
        _patterns = new Dictionary<string, ViolationPattern>(StringComparer.Ordinal);
        foreach (var pattern in patterns)
        {
            if (!_patterns.TryAdd(pattern.Id, pattern))
            {
                throw new ArgumentException($"pattern id {pattern.Id} is registered twice", nameof(patterns));
            }
        }
    }

    /// <summary>Every pattern that ships with Panaptico.</summary>
    public static PatternRegistry Default { get; } = new([.. StoragePatterns.All, .. S3Patterns.All, .. KmsPatterns.All]);

    public IReadOnlyCollection<ViolationPattern> All => _patterns.Values;

    public ViolationPattern this[string id] =>
        _patterns.TryGetValue(id, out var pattern) ? pattern : throw new KeyNotFoundException($"no violation pattern {id}");

    public bool TryGet(string id, [NotNullWhen(true)] out ViolationPattern? pattern) => _patterns.TryGetValue(id, out pattern);

    /// <summary>Runs every pattern over one scan, in id order so the findings' order is stable.</summary>
    public IReadOnlyList<Finding> Detect(Assets.AccountScan state) =>
        [.. _patterns.Values.OrderBy(p => p.Id, StringComparer.Ordinal).SelectMany(p => p.Detect(state))];
}
