namespace Panaptico.Functions.Tests.Governance;

/// <summary>One governance app per test class; its tests use their own plans and tasks.</summary>
public class GovernanceFixture : IAsyncLifetime
{
    internal GovernanceHost Host { get; private set; } = null!;

    protected virtual IDictionary<string, string?>? Settings => null;

    public async Task InitializeAsync() => Host = await GovernanceHost.StartAsync(Settings);

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
