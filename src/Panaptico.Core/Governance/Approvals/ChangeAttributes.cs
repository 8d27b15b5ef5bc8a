using System.Collections.Immutable;

namespace Panaptico.Core.Governance.Approvals;

/// <summary>
/// What routing rules read about a task or change: its domain, tags, kinds of change, the compliance controls it
/// intersects and how many production systems it touches. The owner map lives in the rules file.
/// </summary>
public sealed record ChangeAttributes(string Domain)
{
    public ImmutableArray<string> Tags { get; init; } = [];

    /// <summary>e.g. "kms-key-policy".</summary>
    public ImmutableArray<string> ChangeKinds { get; init; } = [];

    /// <summary>Framework controls the change intersects, e.g. "SOC2 CC6.7", "ISO27001 A.10.1.2".</summary>
    public ImmutableArray<string> Controls { get; init; } = [];

    public int ProductionSystemsTouched { get; init; }
}
