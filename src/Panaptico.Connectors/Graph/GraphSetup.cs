using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Kiota.Authentication.Azure;

namespace Panaptico.Connectors.Graph;

/// <summary>
/// The app's one <see cref="GraphServiceClient"/>: the app's identity (<see cref="TokenCredential"/>), the base URL and
/// scope of <see cref="GraphOptions"/>. Every feature that talks to Graph asks for it here.
/// </summary>
public static class GraphSetup
{
    /// <summary>Registers the client and its settings once; a second call (another feature's) adds nothing.</summary>
    public static IServiceCollection AddMicrosoftGraph(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(GraphServiceClient)))
        {
            return services;
        }
        services.AddOptions<GraphOptions>().Bind(configuration.GetSection(GraphOptions.Section))
            .Validate(o => o.BaseUrl.IsAbsoluteUri && (o.BaseUrl.Scheme == Uri.UriSchemeHttps || o.BaseUrl.IsLoopback),
                "Graph:BaseUrl must be an absolute https URL (plain http only to a loopback fake)")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Scope), "Graph:Scope must name the Graph scope")
            .ValidateOnStart();
        services.AddSingleton(sp => CreateClient(sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<IOptions<GraphOptions>>().Value));
        return services;
    }

    /// <param name="handler">The innermost HTTP handler (tests leave it out: they talk real HTTP to a local fake).</param>
    public static GraphServiceClient CreateClient(TokenCredential credential, GraphOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The token goes only to the configured host (Kiota refuses plain HTTP except to localhost).
        var authentication = new AzureIdentityAuthenticationProvider(credential, [options.BaseUrl.Host], scopes: [options.Scope]);
        var http = GraphClientFactory.Create(finalHandler: handler);
        return new GraphServiceClient(http, authentication, options.BaseUrl.ToString().TrimEnd('/'));
    }
}
