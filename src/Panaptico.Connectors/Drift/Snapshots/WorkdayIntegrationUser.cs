using System.Text.Json.Nodes;

namespace Panaptico.Connectors.Drift.Snapshots;

/// <summary>
/// A Workday integration system user (ISU): whether its account is active, its password policy, and the security
/// groups (and so the domains) it holds. <c>system</c> workday, <c>kind</c> integration-system-user.
/// </summary>
public sealed record WorkdayIntegrationUser : ISnapshotState
{
    public string? UserName { get; init; }

    /// <summary>Active, Disabled or Locked.</summary>
    public string? Status { get; init; }

    public bool? PasswordNeverExpires { get; init; }

    /// <summary>Whether the user may sign in through the UI (an ISU should not).</summary>
    public bool? DoNotAllowUiSessions { get; init; }

    public int? SessionTimeoutMinutes { get; init; }

    /// <summary>The integration system security groups the user belongs to.</summary>
    public IReadOnlyList<string?>? SecurityGroups { get; init; }

    public void Validate(SnapshotCheck check)
    {
        check.Text("userName", UserName);
        check.OneOf("status", Status, ["Active", "Disabled", "Locked"]);
        check.Present("passwordNeverExpires", PasswordNeverExpires);
        check.Present("doNotAllowUiSessions", DoNotAllowUiSessions);
        if (SessionTimeoutMinutes is not null)
        {
            check.Range("sessionTimeoutMinutes", SessionTimeoutMinutes, 0, 1440);
        }
        check.Strings("securityGroups", SecurityGroups);
    }

    public IReadOnlyDictionary<string, JsonNode?> ToFields() => new Dictionary<string, JsonNode?>
    {
        ["userName"] = UserName,
        ["status"] = Status,
        ["passwordNeverExpires"] = PasswordNeverExpires,
        ["doNotAllowUiSessions"] = DoNotAllowUiSessions,
        ["sessionTimeoutMinutes"] = SessionTimeoutMinutes,
        ["securityGroups"] = SnapshotFields.SortedSet(SecurityGroups ?? []),
    };
}
