using System.Text.Json.Nodes;

namespace Panaptico.Connectors.Drift.Snapshots;

/// <summary>An Okta group (e.g. fin-admins) and its members, as Okta's Groups API lists them. <c>system</c> okta, <c>kind</c> group.</summary>
public sealed record OktaGroup : ISnapshotState
{
    public string? Id { get; init; }

    public string? Name { get; init; }

    /// <summary>OKTA_GROUP, APP_GROUP or BUILT_IN.</summary>
    public string? Type { get; init; }

    public IReadOnlyList<OktaGroupMember?>? Members { get; init; }

    public void Validate(SnapshotCheck check)
    {
        check.Text("id", Id, 64);
        check.Text("name", Name);
        check.OneOf("type", Type, ["OKTA_GROUP", "APP_GROUP", "BUILT_IN"]);
        check.Items("members", Members, (c, m) => m.Validate(c));
        if (Members?.OfType<OktaGroupMember>().GroupBy(m => m.Login, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Key is not null && g.Count() > 1) is { } twice)
        {
            check.Fail("members", $"lists '{twice.Key}' more than once");
        }
    }

    /// <summary><c>members</c> is the set of logins, sorted: membership, not order, is the state.</summary>
    public IReadOnlyDictionary<string, JsonNode?> ToFields() => new Dictionary<string, JsonNode?>
    {
        ["name"] = Name,
        ["type"] = Type,
        ["members"] = SnapshotFields.SortedSet(Members?.Select(m => m?.Login?.ToLowerInvariant()) ?? []),
    };
}

public sealed record OktaGroupMember
{
    public string? Id { get; init; }

    /// <summary>The user's login (an email address).</summary>
    public string? Login { get; init; }

    public void Validate(SnapshotCheck check)
    {
        check.Text("id", Id, 64);
        check.Text("login", Login);
    }
}
