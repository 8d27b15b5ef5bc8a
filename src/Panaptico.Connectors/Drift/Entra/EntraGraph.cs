using Azure.Core;
using Microsoft.Graph;
using Microsoft.Kiota.Authentication.Azure;

namespace Panaptico.Connectors.Drift.Entra;

/// <summary>Where the Entra connector reads: Microsoft Graph v1.0 by default; a national cloud or a local fake otherwise.</summary>
public sealed record EntraOptions
{
    public const string Section = "Drift:Entra";

    /// <summary>Graph's base URL, including the version (<c>https://graph.microsoft.com/v1.0</c>).</summary>
    public Uri BaseUrl { get; init; } = new("https://graph.microsoft.com/v1.0");

    /// <summary>The scope the app's identity asks a token for; a national cloud has its own.</summary>
    public string Scope { get; init; } = "https://graph.microsoft.com/.default";
}

/// <summary>The one <see cref="GraphServiceClient"/> of the drift connectors: the app's identity, the configured base URL.</summary>
public static class EntraGraph
{
    /// <param name="handler">The innermost HTTP handler (tests leave it out: they talk real HTTP to a local fake).</param>
    public static GraphServiceClient Create(TokenCredential credential, EntraOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The token goes only to the configured host (Kiota refuses plain HTTP except to localhost).
        var authentication = new AzureIdentityAuthenticationProvider(credential, [options.BaseUrl.Host], scopes: [options.Scope]);
        var http = GraphClientFactory.Create(finalHandler: handler);
        return new GraphServiceClient(http, authentication, options.BaseUrl.ToString().TrimEnd('/'));
    }
}
