using Panaptico.Core.Governance.Approvals;

namespace Panaptico.Functions.Teams;

/// <summary>
/// Routing rules may name Entra groups (<c>directoryGroup</c>: "on-call", "platform-security"): before a change or a task
/// is routed, each such group's members are read from the directory (<see cref="TeamsDirectory"/>, cached), so the seat
/// keeps whom it resolved and when (<see cref="ApproverRef.ResolvedAt"/>). Rules without directory groups are routed as
/// they are, without a call.
/// </summary>
public sealed class DirectoryRouting(TeamsDirectory directory)
{
    public async Task<ApprovalRules> ResolveAsync(ApprovalRules rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rules);
        foreach (var (group, directoryGroup) in rules.DirectoryGroups.ToList())
        {
            var resolved = await directory.MembersOfAsync(directoryGroup, cancellationToken);
            rules = rules.WithDirectoryMembers(group, resolved.Members, resolved.ResolvedAt);
        }
        return rules;
    }
}
