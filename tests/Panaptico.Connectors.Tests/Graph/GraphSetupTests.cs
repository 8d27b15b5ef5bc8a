using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Panaptico.Connectors.Graph;
using Panaptico.Connectors.Tests.Drift;

namespace Panaptico.Connectors.Tests.Graph;

/// <summary>The app's one Graph client: registered once however many features ask, from <c>Graph:BaseUrl</c> and <c>Graph:Scope</c>.</summary>
public sealed class GraphSetupTests : IDisposable
{
    private readonly GraphFake _graph = new();

    [Fact]
    public async Task Two_features_asking_get_one_client_that_reads_the_configured_Graph_with_the_configured_scope()
    {
        const string scope = "https://graph.microsoft.us/.default";
        _graph.Get("/users/u1", """{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users/$entity","id":"u1","displayName":"A. Chen"}""");
        var configuration = Configuration(new() { ["Graph:BaseUrl"] = _graph.BaseUrl, ["Graph:Scope"] = scope });
        var services = Services();

        services.AddMicrosoftGraph(configuration);
        services.AddMicrosoftGraph(configuration);
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var user = await provider.GetRequiredService<GraphServiceClient>().Users["u1"].GetAsync();

        Assert.Single(services, d => d.ServiceType == typeof(GraphServiceClient));
        Assert.Equal("A. Chen", user!.DisplayName);
        Assert.Equal(["/users/u1"], _graph.Requests);
        Assert.All(_graph.Credential.ScopesRequested, s => Assert.Equal(scope, s));
        Assert.NotEmpty(_graph.Credential.ScopesRequested);
    }

    [Fact]
    public void Without_settings_the_client_talks_to_Graph_v1_with_its_default_scope()
    {
        using var provider = Services().AddMicrosoftGraph(Configuration([])).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<GraphOptions>>().Value;

        Assert.Equal("https://graph.microsoft.com/v1.0", provider.GetRequiredService<GraphServiceClient>().RequestAdapter.BaseUrl);
        Assert.Equal("https://graph.microsoft.com/.default", options.Scope);
    }

    [Theory]
    [InlineData("http://graph.example.com/v1.0")]
    [InlineData("v1.0")]
    public void A_base_url_that_is_not_https_or_a_loopback_fake_is_refused(string baseUrl)
    {
        using var provider = Services().AddMicrosoftGraph(Configuration(new() { ["Graph:BaseUrl"] = baseUrl })).BuildServiceProvider();

        var refused = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<GraphOptions>>().Value);

        Assert.Contains("Graph:BaseUrl", refused.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _graph.Dispose();

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private ServiceCollection Services()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TokenCredential>(_graph.Credential);
        return services;
    }
}
