using Microsoft.Extensions.Time.Testing;
using Panaptico.Connectors.Graph;
using Panaptico.Core.Identity;
using Panaptico.Functions.Teams;
using Panaptico.Functions.Tests.Remediation;

namespace Panaptico.Functions.Tests.Teams;

/// <summary>The directory through the Graph SDK against a fake Graph: people, managers, group members (paged), roles, and the bounded cache.</summary>
public sealed class TeamsDirectoryTests : IDisposable
{
    private readonly TeamsFakes _fakes = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 4, 15, 3, 12, 47, TimeSpan.Zero));

    [Fact]
    public async Task A_groups_members_are_resolved_across_pages_with_the_time_they_were_resolved()
    {
        _fakes.Group("on-call", "u1", "u2", "u3", "u4", "u5");
        var directory = Directory(new TeamsOptions());

        var group = await directory.MembersOfAsync("on-call", CancellationToken.None);

        Assert.Equal(["u1", "u2", "u3", "u4", "u5"], group.Members.ToArray());
        Assert.Equal(_time.GetUtcNow(), group.ResolvedAt);
        Assert.Equal(3, TeamsFakes.Requests(_fakes.Graph, "GET", "/groups/on-call/members").Count);
        Assert.All(TeamsFakes.Requests(_fakes.Graph, "GET", "/groups/"),
            r => Assert.Equal($"Bearer {ChainWorld.GraphToken}", r.RequestMessage.Headers!["Authorization"].Single()));
    }

    [Fact]
    public async Task Owners_and_their_managers_and_a_tappers_roles_come_from_the_directory()
    {
        _fakes.User("owner-1", "Olga Owner", managerId: "boss-1");
        _fakes.Group("approvers", "owner-1");
        var directory = Directory(new TeamsOptions { RoleGroups = new(StringComparer.OrdinalIgnoreCase) { [Role.Approver] = "approvers" } });

        var manager = await directory.ManagerOfAsync("owner-1", CancellationToken.None);
        var principal = await directory.PrincipalOfAsync("owner-1", CancellationToken.None);
        var nobody = await directory.UserAsync("ghost", CancellationToken.None);

        Assert.Equal(("boss-1", "Manager of Olga Owner"), (manager!.Id, manager.DisplayName));
        Assert.Equal(("owner-1", "Olga Owner"), (principal!.Id, principal.Name));
        Assert.True(principal.IsIn(Role.Approver));
        Assert.False(principal.IsIn(Role.Operator));
        Assert.Null(nobody);
    }

    [Fact]
    public async Task The_cache_holds_at_most_its_size_and_forgets_answers_older_than_its_ttl()
    {
        foreach (var g in new[] { "g1", "g2", "g3" })
        {
            _fakes.Group(g, $"{g}-member");
        }
        var directory = Directory(new TeamsOptions { DirectoryCacheSize = 2, DirectoryCacheTtl = TimeSpan.FromMinutes(10) });
        int Fetches(string g) => TeamsFakes.Requests(_fakes.Graph, "GET", $"/groups/{g}/members").Count;

        await directory.MembersOfAsync("g1", CancellationToken.None);
        await directory.MembersOfAsync("g2", CancellationToken.None);
        await directory.MembersOfAsync("g2", CancellationToken.None);
        await directory.MembersOfAsync("g3", CancellationToken.None);
        var cachedAfterThree = directory.CachedGroups;
        await directory.MembersOfAsync("g1", CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(11));
        var stale = await directory.MembersOfAsync("g1", CancellationToken.None);

        Assert.Equal(2, cachedAfterThree);
        Assert.Equal(1, Fetches("g2"));
        Assert.Equal(3, Fetches("g1"));
        Assert.Equal(_time.GetUtcNow(), stale.ResolvedAt);
        Assert.Equal(2, directory.CachedGroups);
    }

    public void Dispose() => _fakes.Dispose();

    private TeamsDirectory Directory(TeamsOptions options)
    {
        var graph = GraphSetup.CreateClient(new FixedTokenCredential(ChainWorld.GraphToken), _fakes.GraphOptions);
        return new TeamsDirectory(graph, options, _time);
    }
}
