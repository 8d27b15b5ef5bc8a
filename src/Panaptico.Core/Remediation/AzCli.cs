using System.Text;
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
        SetContainerPublicAccess set => new AzCommand("az storage container set-permission")
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
            ? new AzCommand("az storage blob service-properties delete-policy update")
                .Option("--account-name", set.Asset.Account)
                .Option("--enable", "true")
                .Option("--days-retained", set.Policy.Days!.Value.ToString())
                .Render()
            : new AzCommand("az storage blob service-properties delete-policy update")
                .Option("--account-name", set.Asset.Account)
                .Option("--enable", "false")
                .Render(),
        SetAnalyticsLogging set => set.Logging.Operations.Length == 0
            ? new AzCommand("az storage logging off")
                .Option("--account-name", set.Asset.Account)
                .Option("--services", "b")
                .Render()
            : new AzCommand("az storage logging update")
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
            new AzCommand("az storage cors clear").Option("--account-name", set.Asset.Account).Option("--services", "b").Render(),
        };
        foreach (var rule in set.Rules)
        {
            commands.Add(new AzCommand("az storage cors add")
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
            commands.Add(new AzCommand("az storage container policy delete")
                .Option("--account-name", set.Asset.Account)
                .Option("--container-name", set.Asset.Container!)
                .Option("--name", policy.Id)
                .Render());
        }
        foreach (var policy in set.Policies.Where(p => !current.TryGetValue(p.Id, out var c) || c != p))
        {
            var create = new AzCommand("az storage container policy create")
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

    private sealed class AzCommand(string verb)
    {
        private readonly List<string> _options = [];

        public AzCommand Option(string name, string value)
        {
            _options.Add($"{name} {Quote(value)}");
            return this;
        }

        public AzCommand Option(string name, IEnumerable<string> values)
        {
            var quoted = values.Select(Quote).ToList();
            _options.Add(quoted.Count == 0 ? $"{name} ''" : $"{name} {string.Join(' ', quoted)}");
            return this;
        }

        public string Render()
        {
            var text = new StringBuilder(verb);
            foreach (var option in _options)
            {
                text.Append(" \\\n  ").Append(option);
            }
            return text.ToString();
        }

        // POSIX single quotes whenever a value holds anything a shell might read (e.g. the CORS origin *).
        private static string Quote(string value) =>
            value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+".Contains(c))
                ? value
                : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
