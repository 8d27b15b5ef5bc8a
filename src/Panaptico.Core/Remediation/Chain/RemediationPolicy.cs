using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Core.Remediation.Chain;

/// <summary>The chain's configuration: who must approve, how long they have, how long a fix can be reverted.</summary>
public sealed record RemediationPolicy
{
    public TimeSpan ApprovalExpiry { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>Assets that meet this condition are production: their changes always wait for a person.</summary>
    public TagCondition Production { get; init; } = new("env", ["prod", "production"]);

    /// <summary>Non-production changes with an inverse are approved by policy (recorded as such). Irreversible ones never are.</summary>
    public bool AutoApproveNonProduction { get; init; } = true;

    /// <summary>The domain routing rules see for a change (owners in the rules file are declared per domain).</summary>
    public string ApprovalDomain { get; init; } = "platform";

    public string AutoApproverId { get; init; } = "policy:auto-approve-non-production";

    public TimeSpan RollbackWindow { get; init; } = TimeSpan.FromDays(30);

    /// <summary>How long a won't-fix or a revert stands as an exception before detection opens a new change.</summary>
    public TimeSpan ExceptionDuration { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Where close-outs, stuck and rolled-back changes are announced.</summary>
    public string AuditChannel { get; init; } = "#compliance-audit";

    public OwnerTaggingMap Owners { get; init; } =
        new(["owner", "team"], new Dictionary<string, string>(), "platform-security@example.com");
}
