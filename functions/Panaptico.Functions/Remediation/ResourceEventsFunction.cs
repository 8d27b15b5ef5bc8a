using System.Text.RegularExpressions;
using Azure;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Functions.Hosting;
using Panaptico.Functions.Standalone;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Remediation;

/// <summary>
/// The event path: an Event Grid resource-write or blob event names an asset; the library re-checks that one asset
/// (<see cref="ViolationPattern.Evaluate"/>) and opens a change for what it finds, as the scan would.
/// </summary>
public sealed partial class ResourceEventsFunction(
    DurableChangeChain chain, PatternRegistry patterns, RemediationSettings settings, TimeProvider time, ILogger<ResourceEventsFunction> logger)
    : IFunctionHandler
{
    public const string Name = "ResourceEvents";

    public async Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        var (gridEvent, cloudEvent) = EventGridWebhook.ParseEvent(invocation.Trigger);
        var topic = gridEvent?.Topic ?? cloudEvent?.Source ?? "";
        var subject = gridEvent?.Subject ?? cloudEvent?.Subject ?? "";
        if (AssetOf(topic, subject) is not { } asset)
        {
            invocation.Log($"event {gridEvent?.EventType ?? cloudEvent?.Type} names no storage asset: ignored");
            return FunctionResult.Empty;
        }
        if (chain.Accounts.Governing(asset) is not { } account)
        {
            invocation.Log($"{asset} is not governed: ignored");
            return FunctionResult.Empty;
        }

        AssetState state;
        try
        {
            state = await account.Connector.ReadAssetAsync(asset, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            invocation.Log($"{asset} no longer exists: nothing to check");
            return FunctionResult.Empty;
        }
        var tags = TagsOf(state, account.AccountTags);
        var readAt = time.GetUtcNow();
        var findings = patterns.All.Select(p => p.Evaluate(state, tags, readAt)).OfType<Finding>().ToList();
        var results = await chain.OpenAsync(findings, settings.DetectorId, cancellationToken);
        foreach (var result in results.Where(r => r.Opened))
        {
            logger.LogInformation("Opened {Change}: {Pattern} on {Asset} (event)", result.ChangeId, result.Finding.PatternId, asset);
        }
        invocation.Log($"re-checked {asset}: {findings.Count} findings, {results.Count(r => r.Opened)} changes opened");
        return FunctionResult.Empty;
    }

    /// <summary>
    /// The asset an event is about, from ARM ids such as <c>…/storageAccounts/acct/blobServices/default/containers/c</c>
    /// (resource writes) or a blob event's topic (the account) and subject (<c>/blobServices/default/containers/c/blobs/…</c>).
    /// </summary>
    public static AssetId? AssetOf(string topic, string subject)
    {
        var account = AccountPart().Match(subject) is { Success: true } inSubject ? inSubject : AccountPart().Match(topic);
        if (!account.Success)
        {
            return null;
        }
        var name = account.Groups["account"].Value;
        if (subject.Contains("/containers/", StringComparison.OrdinalIgnoreCase))
        {
            // About a container: that container, or nothing when its name is not one.
            var container = ContainerPart().Match(subject);
            return container.Success && AssetId.TryParse($"{AssetId.Scheme}{name}/{container.Groups["container"].Value}", out var asset) ? asset : null;
        }
        return AssetId.TryParse(AssetId.Scheme + name, out var service) ? service : null;
    }

    /// <summary>Account tags overlaid with the container's metadata, as a scan sees them.</summary>
    private static Dictionary<string, string> TagsOf(AssetState asset, IReadOnlyDictionary<string, string> accountTags)
    {
        var tags = new Dictionary<string, string>(accountTags, StringComparer.OrdinalIgnoreCase);
        if (asset is ContainerState container)
        {
            foreach (var (key, value) in container.Metadata)
            {
                tags[key] = value;
            }
        }
        return tags;
    }

    [GeneratedRegex(@"/storageAccounts/(?<account>[a-z0-9]{3,24})(/|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AccountPart();

    [GeneratedRegex(@"/containers/(?<container>[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9]))(/|$)", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerPart();
}
