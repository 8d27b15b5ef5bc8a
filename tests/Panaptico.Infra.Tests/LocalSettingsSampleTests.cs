using System.Text.Json.Nodes;
using Panaptico.Infra.Tests.Support;

namespace Panaptico.Infra.Tests;

/// <summary><c>local.settings.sample.json</c> shows what README.md says it shows, and only settings README.md documents.</summary>
public sealed class LocalSettingsSampleTests
{
    private static IReadOnlyList<string> SampleKeys =>
        [.. (JsonNode.Parse(File.ReadAllText(Repository.PathOf("local.settings.sample.json")))?["Values"] as JsonObject ?? []).Select(v => v.Key)];

    [Fact]
    public void The_sample_shows_a_governed_account_with_every_key_the_settings_table_names()
    {
        var keys = SampleKeys;
        foreach (var key in new[] { "ConnectionString", "AccountName", "ContainerPrefix", "IncludeBlobService" })
        {
            Assert.Contains($"Remediation__Accounts__0__{key}", keys);
        }

        Assert.Contains(keys, k => k.StartsWith("Remediation__Accounts__0__Tags__", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_key_of_the_sample_is_a_documented_setting()
    {
        var documented = SettingsTable.Read(Repository.PathOf("README.md"));
        var undocumented = SampleKeys
            .Where(k => !documented.Any(d => d.Names.Any(n => n.Covers(SettingName.Parse(k)))))
            .ToList();

        Assert.True(undocumented.Count == 0, "local.settings.sample.json shows settings README.md does not document:\n" + string.Join('\n', undocumented));
    }
}
