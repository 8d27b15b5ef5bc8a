using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Panaptico.Infra.Tests.Support;

namespace Panaptico.Infra.Tests;

/// <summary>
/// The settings the function app reads (found in its code and the code of the projects it references) against what
/// infra-bicep gives it in Azure and what README.md's settings table documents.
/// </summary>
public sealed class AppSettingsCoverageTests
{
    /// <summary>
    /// Settings the Functions host or the platform reads, not our code: they may be set by the Bicep without the code
    /// naming them.
    /// </summary>
    private static readonly string[] PlatformPrefixes = ["APPLICATIONINSIGHTS_", "AzureFunctionsJobHost__", "AzureWebJobs", "FUNCTIONS_", "WEBSITE_"];

    private static readonly Lazy<SettingsInCode> Code = new(() => SettingsInCode.OfProject(
        Repository.PathOf("functions", "Panaptico.Functions", "Panaptico.Functions.csproj"), Repository.Root));

    private static IReadOnlyList<BicepAppSetting> Bicep => CompiledTemplate.MainBicep.AppSettings();

    private static IReadOnlyList<DocumentedSetting> Readme => SettingsTable.Read(Repository.PathOf("README.md"));

    [Fact]
    public void Every_setting_the_code_reads_is_set_by_the_Bicep_or_documented_as_optional()
    {
        var code = Code.Value;
        Assert.True(code.Unresolved.Count == 0, "Reads the scan cannot place:\n" + string.Join('\n', code.Unresolved.Distinct()));
        // The scan saw the code at all: the one setting every version of the app reads.
        Assert.Contains(code.Reads, r => r.Name.Matches(SettingName.Parse("AzureWebJobsStorage:accountName")));

        var defined = Bicep.Select(s => s.Key)
            .Concat(HostJsonKeys())
            .Concat(Readme.SelectMany(r => r.Names))
            .ToList();
        var missing = code.Reads.Where(read => !defined.Any(d => d.Covers(read.Name))).Select(r => r.ToString()).Distinct().ToList();

        Assert.True(missing.Count == 0,
            "The code reads settings that infra-bicep does not set and README.md's settings table does not list " +
            "(set them in infra-bicep/modules/functionApp.bicep, or add a row with their default and who sets them):\n" +
            string.Join('\n', missing));
    }

    [Fact]
    public void Settings_in_trigger_attributes_are_set_by_the_Bicep()
    {
        // The Functions host resolves %Setting% from app settings when it indexes the functions; a default the worker
        // puts into its own configuration never reaches it.
        var bindings = Code.Value.Reads.Where(r => r.Kind == ReadKind.HostBinding).ToList();
        var missing = bindings.Where(b => !Bicep.Any(s => s.Key.Matches(b.Name))).Select(b => b.ToString()).Distinct().ToList();

        Assert.True(missing.Count == 0, "Trigger attributes name settings the Bicep does not set:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void Every_app_setting_the_Bicep_sets_is_read_by_the_code_or_the_Functions_host()
    {
        var reads = Code.Value.Reads;
        var unread = Bicep
            .Where(s => !IsPlatform(s.Name))
            .Where(s => !reads.Any(r => r.Name.Matches(s.Key) || (r.Kind == ReadKind.Section && r.Name.Contains(s.Key))))
            .Select(s => $"{s.Name} ({s.Module})")
            .ToList();

        Assert.True(unread.Count == 0, "The Bicep sets app settings nothing reads (left over? delete them):\n" + string.Join('\n', unread));
    }

    [Fact]
    public void The_README_settings_table_says_truly_which_settings_the_Bicep_sets()
    {
        var bicep = Bicep;
        var readme = Readme;

        var claimed = readme.Where(r => r.SetByBicep)
            .SelectMany(r => r.Names.Where(n => !bicep.Any(s => s.Key.Matches(n))).Select(n => $"{n} (README.md line {r.Line})"))
            .ToList();
        var undocumented = bicep
            .Where(s => !readme.Any(r => r.SetByBicep && r.Names.Any(n => n.Matches(s.Key))))
            .Select(s => s.Name)
            .ToList();

        Assert.True(claimed.Count == 0, "README.md says infra-bicep sets these, but it does not:\n" + string.Join('\n', claimed));
        Assert.True(undocumented.Count == 0,
            "infra-bicep sets these, but README.md's settings table has no row for them saying so:\n" + string.Join('\n', undocumented));
    }

    [Fact]
    public void Every_documented_setting_is_one_the_code_or_the_platform_reads()
    {
        var reads = Code.Value.Reads;
        var stale = Readme
            .SelectMany(r => r.Names.Select(n => (Name: n, r.Line)))
            .Where(d => !IsPlatform(d.Name.ToString()))
            .Where(d => !reads.Any(r => d.Name.Covers(r.Name) || r.Name.Covers(d.Name)))
            .Select(d => $"{d.Name} (README.md line {d.Line})")
            .ToList();

        Assert.True(stale.Count == 0, "README.md documents settings nothing reads any more:\n" + string.Join('\n', stale));
    }

    [Fact]
    public void The_function_app_runs_dotnet_isolated_on_the_target_framework_of_the_code()
    {
        var framework = TargetFramework();
        var template = CompiledTemplate.MainBicep;
        var apps = template.FunctionApps.ToList();
        Assert.NotEmpty(apps);
        foreach (var app in apps)
        {
            var config = app["properties"]?["functionAppConfig"];
            var runtime = CompiledTemplate.ResolveNode(template.TemplateOf(app), config?["runtime"]);
            Assert.Equal("dotnet-isolated", runtime?["name"]?.ToString());
            // Flex Consumption spells the version major.minor: net10.0 runs on '10.0'.
            Assert.Equal(framework["net".Length..], runtime?["version"]?.ToString());
        }

        // On Flex the runtime is functionAppConfig.runtime: the platform rejects these as app settings. And nothing of
        // the custom handler is left.
        var names = Bicep.Select(s => s.Name).ToList();
        Assert.DoesNotContain(names, n => n is "FUNCTIONS_WORKER_RUNTIME" or "FUNCTIONS_EXTENSION_VERSION");
        Assert.DoesNotContain(names, n => n.Contains("CUSTOMHANDLER", StringComparison.OrdinalIgnoreCase));
        Assert.Null(JsonNode.Parse(File.ReadAllText(Repository.PathOf("host.json")))?["customHandler"]);
    }

    private static bool IsPlatform(string name) => PlatformPrefixes.Any(p =>
        name.Replace("__", ":", StringComparison.Ordinal).StartsWith(p.Replace("__", ":", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));

    /// <summary>host.json ships with the app; the host and the standalone host read it under <c>AzureFunctionsJobHost</c>.</summary>
    private static IEnumerable<SettingName> HostJsonKeys()
    {
        var root = JsonNode.Parse(File.ReadAllText(Repository.PathOf("host.json")),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        return Leaves(root, "AzureFunctionsJobHost").Select(SettingName.Parse);

        static IEnumerable<string> Leaves(JsonNode node, string path) => node switch
        {
            JsonObject o => o.SelectMany(p => p.Value is null ? [$"{path}:{p.Key}"] : Leaves(p.Value, $"{path}:{p.Key}")),
            JsonArray a => a.SelectMany((item, i) => item is null ? [] : Leaves(item, $"{path}:{i}")),
            _ => [path],
        };
    }

    private static string TargetFramework()
    {
        foreach (var file in new[] { Repository.PathOf("functions", "Panaptico.Functions", "Panaptico.Functions.csproj"), Repository.PathOf("Directory.Build.props") })
        {
            if (Regex.Match(File.ReadAllText(file), "<TargetFramework>(?<tfm>net[0-9.]+)</TargetFramework>") is { Success: true } match)
            {
                return match.Groups["tfm"].Value;
            }
        }
        throw new InvalidOperationException("no <TargetFramework> for the function app");
    }
}
