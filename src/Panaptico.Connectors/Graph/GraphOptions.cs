namespace Panaptico.Connectors.Graph;

/// <summary>
/// Settings under <c>Graph:</c>: where the app reads and writes Microsoft Graph (the Entra drift connector, directory
/// audits, the Teams directory and activity feed), Graph v1.0 by default; a national cloud or a local fake otherwise.
/// </summary>
public sealed record GraphOptions
{
    public const string Section = "Graph";

    /// <summary>Graph's base URL, including the version (<c>https://graph.microsoft.com/v1.0</c>).</summary>
    public Uri BaseUrl { get; init; } = new("https://graph.microsoft.com/v1.0");

    /// <summary>The scope the app's identity asks a token for; a national cloud has its own.</summary>
    public string Scope { get; init; } = "https://graph.microsoft.com/.default";
}
