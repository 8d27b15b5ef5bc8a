using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation;

/// <summary>
/// Renders a storage operation as the az CLI commands a person would run for it, one option per line as in the
/// walkthrough. Deterministic: the same operation and prior state always render to the same bytes (LF, no clock,
/// no culture). Rendered against the prior state where az has no absolute form (CORS, stored access policies).
/// </summary>
public static class AzCli
{
    public static string Render(StorageOperation operation, AssetState before) => operation switch
    {
        SetContainerPublicAccess set => new CliCommand("az storage container set-permission")
            .Option("--account-name", set.Asset.Account)
            .Option("--name", set.Asset.Container!)
            .Option("--public-access", set.Level switch
            {
                PublicAccessLevel.None => "off",
                PublicAccessLevel.Blob => "blob",
                _ => "container",
            })
            .Render(),
        SetContainerAccessPolicies set => RenderPolicies(set, (ContainerState)before),
        SetCorsRules set => RenderCors(set),
        SetDeleteRetention set => set.Policy.Enabled
            ? new CliCommand("az storage blob service-properties delete-policy update")
                .Option("--account-name", set.Asset.Account)
                .Option("--enable", "true")
                .Option("--days-retained", set.Policy.Days!.Value.ToString())
                .Render()
            : new CliCommand("az storage blob service-properties delete-policy update")
                .Option("--account-name", set.Asset.Account)
                .Option("--enable", "false")
                .Render(),
        SetAnalyticsLogging set => set.Logging.Operations.Length == 0
            ? new CliCommand("az storage logging off")
                .Option("--account-name", set.Asset.Account)
                .Option("--services", "b")
                .Render()
            : new CliCommand("az storage logging update")
                .Option("--account-name", set.Asset.Account)
                .Option("--services", "b")
                .Option("--log", set.Logging.Operations)
                .Option("--retention", set.Logging.Retention.Enabled ? set.Logging.Retention.Days!.Value.ToString() : "0")
                .Option("--version", set.Logging.Version)
                .Render(),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation.GetType().Name, "no az rendering"),
    };

    private static string RenderCors(SetCorsRules set)
    {
        var commands = new List<string>
        {
            new CliCommand("az storage cors clear").Option("--account-name", set.Asset.Account).Option("--services", "b").Render(),
        };
        foreach (var rule in set.Rules)
        {
            commands.Add(new CliCommand("az storage cors add")
                .Option("--account-name", set.Asset.Account)
                .Option("--services", "b")
                .Option("--origins", rule.AllowedOrigins)
                .Option("--methods", rule.AllowedMethods)
                .Option("--allowed-headers", rule.AllowedHeaders)
                .Option("--exposed-headers", rule.ExposedHeaders)
                .Option("--max-age", rule.MaxAgeInSeconds.ToString())
                .Render());
        }
        return string.Join('\n', commands);
    }

    // az has no "set the whole ACL" verb: render the difference from the prior state as deletes, then creates.
    private static string RenderPolicies(SetContainerAccessPolicies set, ContainerState before)
    {
        var target = set.Policies.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var current = before.AccessPolicies.ToDictionary(p => p.Id, StringComparer.Ordinal);
        var commands = new List<string>();
        foreach (var policy in before.AccessPolicies.Where(p => !target.TryGetValue(p.Id, out var t) || t != p))
        {
            commands.Add(new CliCommand("az storage container policy delete")
                .Option("--account-name", set.Asset.Account)
                .Option("--container-name", set.Asset.Container!)
                .Option("--name", policy.Id)
                .Render());
        }
        foreach (var policy in set.Policies.Where(p => !current.TryGetValue(p.Id, out var c) || c != p))
        {
            var create = new CliCommand("az storage container policy create")
                .Option("--account-name", set.Asset.Account)
                .Option("--container-name", set.Asset.Container!)
                .Option("--name", policy.Id)
                .Option("--permissions", policy.Permissions);
            if (policy.StartsOn is { } start)
            {
                create.Option("--start", AzureTime.Format(start));
            }
            if (policy.ExpiresOn is { } expiry)
            {
                create.Option("--expiry", AzureTime.Format(expiry));
            }
            commands.Add(create.Render());
        }
        return commands.Count == 0 ? "# no change" : string.Join('\n', commands);
    }
}
