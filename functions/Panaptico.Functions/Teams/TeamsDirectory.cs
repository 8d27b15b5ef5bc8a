using System.Collections.Immutable;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Panaptico.Core.Identity;

namespace Panaptico.Functions.Teams;

/// <summary>A person as the directory knows them: Entra object id, display name, UPN.</summary>
public sealed record DirectoryUser(string Id, string DisplayName, string? UserPrincipalName);

/// <summary>A group's members (Entra object ids) as resolved from the directory, and when.</summary>
public sealed record ResolvedGroup(string GroupId, ImmutableArray<string> Members, DateTimeOffset ResolvedAt);

/// <summary>
/// The directory through Microsoft Graph (the app's one <c>Microsoft.Graph</c> client, its base URL from <c>Graph:BaseUrl</c>):
/// people and their managers (<c>/users/{id}</c>, <c>/users/{id}/manager</c>) and group members (<c>/groups/{id}/members</c>,
/// every page), each answer cached (<see cref="DirectoryCache{T}"/>: size and TTL). A tapper's Panaptico roles are the
/// role groups (<see cref="TeamsOptions.RoleGroups"/>) they are a member of; their principal id is their Entra object id,
/// the same <c>oid</c> the HTTP API reads from their token.
/// </summary>
public sealed class TeamsDirectory(GraphServiceClient graph, TeamsOptions options, TimeProvider time)
{
    private static readonly string[] UserFields = ["id", "displayName", "userPrincipalName"];

    private readonly DirectoryCache<DirectoryUser?> _users = new(options.DirectoryCacheSize, options.DirectoryCacheTtl, time);
    private readonly DirectoryCache<DirectoryUser?> _managers = new(options.DirectoryCacheSize, options.DirectoryCacheTtl, time);
    private readonly DirectoryCache<ResolvedGroup> _groups = new(options.DirectoryCacheSize, options.DirectoryCacheTtl, time);

    /// <summary>How many group memberships are cached now (the cache's bound is <see cref="TeamsOptions.DirectoryCacheSize"/>).</summary>
    public int CachedGroups => _groups.Count;

    /// <summary>A person by Entra object id or UPN; null when the directory has no such user.</summary>
    public Task<DirectoryUser?> UserAsync(string idOrUpn, CancellationToken cancellationToken) =>
        _users.GetOrAddAsync(idOrUpn, () => Missing404(async () =>
            ToUser(await graph.Users[idOrUpn].GetAsync(r => r.QueryParameters.Select = UserFields, cancellationToken))));

    /// <summary>A person's manager; null when they have none.</summary>
    public Task<DirectoryUser?> ManagerOfAsync(string idOrUpn, CancellationToken cancellationToken) =>
        _managers.GetOrAddAsync(idOrUpn, () => Missing404(async () =>
            ToUser(await graph.Users[idOrUpn].Manager.GetAsync(cancellationToken: cancellationToken) as User)));

    /// <summary>A group's members (object ids, every page), with the time they were resolved.</summary>
    public Task<ResolvedGroup> MembersOfAsync(string groupId, CancellationToken cancellationToken) =>
        _groups.GetOrAddAsync(groupId, async () =>
        {
            var members = new List<string>();
            var page = await graph.Groups[groupId].Members.GetAsync(r => r.QueryParameters.Select = ["id"], cancellationToken);
            if (page is not null)
            {
                var pages = PageIterator<DirectoryObject, DirectoryObjectCollectionResponse>.CreatePageIterator(graph, page, member =>
                {
                    if (member.Id is { } id)
                    {
                        members.Add(id);
                    }
                    return true;
                });
                await pages.IterateAsync(cancellationToken);
            }
            return new ResolvedGroup(groupId, [.. members], time.GetUtcNow());
        });

    /// <summary>The Panaptico principal of a Teams user: their object id, display name, and the roles of the role groups they are in.</summary>
    public async Task<Principal?> PrincipalOfAsync(string aadObjectId, CancellationToken cancellationToken)
    {
        if (await UserAsync(aadObjectId, cancellationToken) is not { } user)
        {
            return null;
        }
        var roles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (role, group) in options.RoleGroups)
        {
            if ((await MembersOfAsync(group, cancellationToken)).Members.Contains(user.Id, StringComparer.OrdinalIgnoreCase))
            {
                roles.Add(role.ToLowerInvariant());
            }
        }
        return new Principal(user.Id, user.DisplayName, roles);
    }

    private static DirectoryUser? ToUser(User? user) =>
        user?.Id is { } id ? new DirectoryUser(id, user.DisplayName ?? user.UserPrincipalName ?? id, user.UserPrincipalName) : null;

    private static async Task<DirectoryUser?> Missing404(Func<Task<DirectoryUser?>> read)
    {
        try
        {
            return await read();
        }
        catch (ODataError e) when (e.ResponseStatusCode == StatusCodes.Status404NotFound)
        {
            return null;
        }
    }
}
