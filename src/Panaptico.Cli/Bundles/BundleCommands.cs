using System.CommandLine;
using System.Net.Http.Headers;
using Panaptico.Core.Evidence;

namespace Panaptico.Cli.Bundles;

/// <summary>
/// <c>panaptico bundle fetch &lt;digest&gt; --url &lt;base&gt; --token &lt;bearer&gt; --out &lt;dir&gt;</c>: downloads a
/// sealed bundle from the auditor API into the offline layout, ready for <c>panaptico verify &lt;dir&gt;</c>.
/// </summary>
public static class BundleCommands
{
    public const string UrlVariable = "PANAPTICO_URL";
    public const string TokenVariable = "PANAPTICO_TOKEN";

    public static Command Create()
    {
        var bundle = new Command("bundle", "Sealed evidence bundles");
        bundle.Subcommands.Add(FetchCommand());
        return bundle;
    }

    private static Command FetchCommand()
    {
        var digest = new Argument<string>("digest") { Description = "The bundle's digest (sha256 of its manifest)" };
        var url = new Option<string?>("--url") { Description = $"The function app's base address, e.g. https://panaptico.example (default: env {UrlVariable})" };
        var token = new Option<string?>("--token") { Description = $"Bearer token of an auditor (default: env {TokenVariable}, which keeps it out of the process list)" };
        var output = new Option<string?>("--out") { Description = "Directory to write the bundle into (default: ./bundle-<digest prefix>)" };
        var ledger = new Option<bool>("--ledger") { Description = $"Also fetch the ledger export into <out>/{BundleFetch.LedgerDirectory}/, for verify --ledger" };
        var command = new Command("fetch", $"Download a sealed bundle ({BundleLayout.EnvelopeFile}, {BundleLayout.KeyringFile}, {BundleLayout.ManifestFile}, {BundleLayout.ArtifactsDirectory}/) for offline verification")
        {
            digest, url, token, output, ledger,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var console = parse.InvocationConfiguration.Output;
            var baseUrl = parse.GetValue(url) ?? Environment.GetEnvironmentVariable(UrlVariable);
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
            {
                await console.WriteLineAsync($"FAIL: pass the app's address with --url (or {UrlVariable}), e.g. https://panaptico.example");
                return 1;
            }

            using var http = CreateClient(baseAddress, parse.GetValue(token) ?? Environment.GetEnvironmentVariable(TokenVariable));
            var value = parse.GetValue(digest)!;
            var directory = parse.GetValue(output) ?? $"bundle-{(value.Length > 12 ? value[..12] : value)}";
            return await RunAsync(http, value, directory, parse.GetValue(ledger), console, cancellationToken);
        });
        return command;
    }

    /// <summary>The command's work on a client it is handed (so tests and other hosts can supply one).</summary>
    public static async Task<int> RunAsync(HttpClient http, string digest, string directory, bool withLedger, TextWriter output, CancellationToken cancellationToken)
    {
        FetchedBundle fetched;
        try
        {
            fetched = await BundleFetch.FetchAsync(http, digest, Path.GetFullPath(directory), withLedger, cancellationToken);
        }
        catch (Exception e) when (e is BundleFetchException or IOException or UnauthorizedAccessException)
        {
            await output.WriteLineAsync($"FAIL: {e.Message}");
            return 1;
        }

        await output.WriteLineAsync($"fetched bundle {fetched.Digest} for {fetched.Subject}: {fetched.Artifacts} artifact(s), {fetched.Bytes} bytes, into {fetched.Directory}");
        await output.WriteLineAsync(fetched.LedgerExport is { } export
            ? $"verify offline: panaptico verify \"{fetched.Directory}\" --ledger \"{export}\""
            : $"verify offline: panaptico verify \"{fetched.Directory}\"");
        return 0;
    }

    public static HttpClient CreateClient(Uri baseAddress, string? token)
    {
        // A base address without a trailing slash would drop its last segment from every relative request.
        var http = new HttpClient { BaseAddress = new Uri(baseAddress.AbsoluteUri.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrWhiteSpace(token))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        }

        return http;
    }
}
