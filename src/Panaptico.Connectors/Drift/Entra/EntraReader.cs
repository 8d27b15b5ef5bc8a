using System.Text.Json.Nodes;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace Panaptico.Connectors.Drift.Entra;

/// <summary>The Entra object kinds the connector reads, as graph objects name them in <c>Kind</c>.</summary>
public static class EntraKinds
{
    public const string ServicePrincipal = "service-principal";
    public const string Group = "group";
    public const string Application = "application";

    public static readonly string[] All = [ServicePrincipal, Group, Application];
}

/// <summary>
/// Reads Entra objects through Microsoft Graph into drift fields. Each request <c>$select</c>s exactly the properties
/// it maps; lists (tags, owners, members, credentials) are followed through every <c>@odata.nextLink</c> and sorted, so
/// order means nothing. Credentials are read as key ids and dates only: secret text and key material are never asked for.
/// </summary>
public sealed class EntraReader(GraphServiceClient graph)
{
    public static readonly string[] ServicePrincipalSelect = ["id", "appId", "displayName", "accountEnabled", "appRoleAssignmentRequired", "tags"];
    public static readonly string[] GroupSelect = ["id", "displayName", "securityEnabled"];
    public static readonly string[] MemberSelect = ["id"];
    public static readonly string[] ApplicationSelect = ["id", "appId", "displayName", "passwordCredentials", "keyCredentials"];

    /// <exception cref="ArgumentException">The kind is not one this reader knows.</exception>
    public Task<IReadOnlyDictionary<string, JsonNode?>> ReadAsync(string kind, string objectId, CancellationToken ct) => kind switch
    {
        EntraKinds.ServicePrincipal => ReadServicePrincipalAsync(objectId, ct),
        EntraKinds.Group => ReadGroupAsync(objectId, ct),
        EntraKinds.Application => ReadApplicationAsync(objectId, ct),
        _ => throw new ArgumentException($"the Entra connector reads {string.Join(", ", EntraKinds.All)}, not '{kind}'", nameof(kind)),
    };

    /// <summary><c>displayName</c>, <c>appId</c>, <c>accountEnabled</c>, <c>appRoleAssignmentRequired</c>, <c>tags</c>, <c>owners</c> (object ids).</summary>
    public async Task<IReadOnlyDictionary<string, JsonNode?>> ReadServicePrincipalAsync(string objectId, CancellationToken ct)
    {
        var sp = await graph.ServicePrincipals[objectId].GetAsync(r => r.QueryParameters.Select = ServicePrincipalSelect, ct)
            ?? throw Missing("service principal", objectId);
        var owners = await AllAsync(
            await graph.ServicePrincipals[objectId].Owners.GetAsync(r => r.QueryParameters.Select = MemberSelect, ct),
            next => graph.ServicePrincipals[objectId].Owners.WithUrl(next).GetAsync(cancellationToken: ct),
            ct);
        return new Dictionary<string, JsonNode?>
        {
            ["displayName"] = sp.DisplayName,
            ["appId"] = sp.AppId,
            ["accountEnabled"] = sp.AccountEnabled,
            ["appRoleAssignmentRequired"] = sp.AppRoleAssignmentRequired,
            ["tags"] = Set(sp.Tags ?? []),
            ["owners"] = Set(owners.Select(o => o.Id)),
        };
    }

    /// <summary><c>displayName</c>, <c>securityEnabled</c>, <c>members</c> (object ids of direct members).</summary>
    public async Task<IReadOnlyDictionary<string, JsonNode?>> ReadGroupAsync(string objectId, CancellationToken ct)
    {
        var group = await graph.Groups[objectId].GetAsync(r => r.QueryParameters.Select = GroupSelect, ct)
            ?? throw Missing("group", objectId);
        var members = await AllAsync(
            await graph.Groups[objectId].Members.GetAsync(r => r.QueryParameters.Select = MemberSelect, ct),
            next => graph.Groups[objectId].Members.WithUrl(next).GetAsync(cancellationToken: ct),
            ct);
        return new Dictionary<string, JsonNode?>
        {
            ["displayName"] = group.DisplayName,
            ["securityEnabled"] = group.SecurityEnabled,
            ["members"] = Set(members.Select(m => m.Id)),
        };
    }

    /// <summary>
    /// <c>displayName</c>, <c>appId</c>, <c>passwordCredentials</c> and <c>keyCredentials</c>: each a list, sorted by key id,
    /// of <c>{keyId, displayName, startDateTime, endDateTime}</c> (keys also <c>type</c>, <c>usage</c>); and
    /// <c>passwordCredentials.keyIds</c> / <c>keyCredentials.keyIds</c> as sets. Never <c>secretText</c>, <c>hint</c> or <c>key</c>.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, JsonNode?>> ReadApplicationAsync(string objectId, CancellationToken ct)
    {
        var app = await graph.Applications[objectId].GetAsync(r => r.QueryParameters.Select = ApplicationSelect, ct)
            ?? throw Missing("application", objectId);
        var passwords = (app.PasswordCredentials ?? []).OrderBy(p => p.KeyId).ToList();
        var keys = (app.KeyCredentials ?? []).OrderBy(k => k.KeyId).ToList();
        return new Dictionary<string, JsonNode?>
        {
            ["displayName"] = app.DisplayName,
            ["appId"] = app.AppId,
            ["passwordCredentials"] = new JsonArray([.. passwords.Select(p => (JsonNode)new JsonObject
            {
                ["keyId"] = p.KeyId?.ToString(),
                ["displayName"] = p.DisplayName,
                ["startDateTime"] = p.StartDateTime,
                ["endDateTime"] = p.EndDateTime,
            })]),
            ["passwordCredentials.keyIds"] = Set(passwords.Select(p => p.KeyId?.ToString())),
            ["keyCredentials"] = new JsonArray([.. keys.Select(k => (JsonNode)new JsonObject
            {
                ["keyId"] = k.KeyId?.ToString(),
                ["displayName"] = k.DisplayName,
                ["type"] = k.Type,
                ["usage"] = k.Usage,
                ["startDateTime"] = k.StartDateTime,
                ["endDateTime"] = k.EndDateTime,
            })]),
            ["keyCredentials.keyIds"] = Set(keys.Select(k => k.KeyId?.ToString())),
        };
    }

    private static async Task<List<DirectoryObject>> AllAsync(
        DirectoryObjectCollectionResponse? page, Func<string, Task<DirectoryObjectCollectionResponse?>> next, CancellationToken ct)
    {
        var all = new List<DirectoryObject>();
        while (page is not null)
        {
            ct.ThrowIfCancellationRequested();
            all.AddRange(page.Value ?? []);
            page = page.OdataNextLink is { Length: > 0 } link ? await next(link) : null;
        }
        return all;
    }

    private static JsonArray Set(IEnumerable<string?> values) =>
        [.. values.OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(v => (JsonNode?)JsonValue.Create(v))];

    private static InvalidOperationException Missing(string what, string id) => new($"Graph returned no {what} {id}");
}
