namespace Panaptico.Core.Identity;

/// <summary>Who is calling: an authenticated person or service with its Panaptico roles.</summary>
public sealed record Principal(string Id, string Name, IReadOnlySet<string> Roles)
{
    public bool IsIn(string role) => Roles.Contains(role) || Roles.Contains(Role.Admin);
}

public static class Role
{
    public const string Operator = "operator";
    public const string Approver = "approver";
    public const string Auditor = "auditor";
    public const string Admin = "admin";

    public static readonly IReadOnlySet<string> All = new HashSet<string>([Operator, Approver, Auditor, Admin]);
}
