using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Panaptico.Infra.Tests.Support;

/// <summary>An app setting the Bicep gives the function app, with the module (nested deployment) that sets it.</summary>
public sealed record BicepAppSetting(string Name, string Module)
{
    public SettingName Key { get; } = SettingName.Parse(Name);
}

/// <summary>
/// A role assignment in the Bicep: the built-in role, the type of resource whose identity receives it and the type of
/// resource it is scoped to (<c>resourceGroup</c> when it has no scope of its own), and its description.
/// </summary>
public sealed record BicepRoleAssignment(string RoleId, string PrincipalType, string ScopeType, string Description, string Module);

/// <summary>
/// <c>infra-bicep/main.bicep</c> compiled to ARM JSON with the pinned Bicep CLI, read back for what the tests check:
/// the function app's settings and runtime, and every role assignment, through every module.
/// </summary>
public sealed partial class CompiledTemplate
{
    private static readonly Lazy<CompiledTemplate> Main = new(() => Compile(Repository.PathOf("infra-bicep", "main.bicep")));

    private readonly List<(JsonObject Resource, JsonObject Template, string Module)> _resources = [];

    private CompiledTemplate(JsonObject root)
    {
        Collect(root, "main");
    }

    public static CompiledTemplate MainBicep => Main.Value;

    public IEnumerable<JsonObject> FunctionApps => Deployed("Microsoft.Web/sites").Select(r => r.Resource);

    /// <summary>Every app setting of every function app: <c>siteConfig.appSettings</c> and <c>sites/config</c> 'appsettings'.</summary>
    public IReadOnlyList<BicepAppSetting> AppSettings()
    {
        var settings = new List<BicepAppSetting>();
        foreach (var (site, _, module) in Deployed("Microsoft.Web/sites"))
        {
            var list = site["properties"]?["siteConfig"]?["appSettings"];
            if (list is JsonValue)
            {
                throw new InvalidOperationException(
                    $"{module}: siteConfig.appSettings is an expression ({list}); write it as a list of {{ name, value }} so the settings can be checked.");
            }
            foreach (var setting in list?.AsArray() ?? [])
            {
                var name = setting?["name"]?.GetValue<string>() ?? throw new InvalidOperationException($"{module}: an app setting without a literal name");
                settings.Add(new BicepAppSetting(name, module));
            }
        }
        foreach (var (config, _, module) in Deployed("Microsoft.Web/sites/config"))
        {
            if (config["name"]?.ToString().Contains("appsettings", StringComparison.OrdinalIgnoreCase) == true)
            {
                settings.AddRange((config["properties"]?.AsObject() ?? []).Select(p => new BicepAppSetting(p.Key, module)));
            }
        }
        return settings;
    }

    public IReadOnlyList<BicepRoleAssignment> RoleAssignments() =>
    [
        .. Deployed("Microsoft.Authorization/roleAssignments").Select(r =>
        {
            var properties = r.Resource["properties"]!;
            var definition = Resolve(r.Template, properties["roleDefinitionId"]?.ToString() ?? "");
            var roleId = Guid().Match(definition) is { Success: true } guid
                ? guid.Value.ToLowerInvariant()
                : throw new InvalidOperationException($"{r.Module}: cannot read the role of {r.Resource["name"]} from {definition}");
            return new BicepRoleAssignment(
                roleId,
                TypeOf(r.Template, properties["principalId"]?.ToString() ?? "", "reference"),
                r.Resource["scope"] is { } scope ? TypeOf(r.Template, scope.ToString(), "resourceId") : "resourceGroup",
                properties["description"]?.ToString() ?? "",
                r.Module);
        }),
    ];

    /// <summary>A value with its template's <c>variables('x')</c>, <c>variables('x').y</c> and <c>variables('x')[n]</c> resolved.</summary>
    public static JsonNode? ResolveNode(JsonObject template, JsonNode? node)
    {
        if (node is JsonValue value && value.TryGetValue<string>(out var text) && WholeVariable().Match(text) is { Success: true } whole)
        {
            return Navigate(template, whole.Groups["name"].Value, whole.Groups["path"].Value);
        }
        return node;
    }

    public JsonObject TemplateOf(JsonObject resource) => _resources.First(r => ReferenceEquals(r.Resource, resource)).Template;

    private IEnumerable<(JsonObject Resource, JsonObject Template, string Module)> Deployed(string type) =>
        _resources.Where(r => string.Equals(r.Resource["type"]?.ToString(), type, StringComparison.OrdinalIgnoreCase)
            && r.Resource["existing"]?.GetValue<bool>() != true);

    private void Collect(JsonObject template, string module)
    {
        foreach (var resource in Resources(template))
        {
            _resources.Add((resource, template, module));
            if (resource["type"]?.ToString() == "Microsoft.Resources/deployments" && resource["properties"]?["template"] is JsonObject nested)
            {
                Collect(nested, resource["name"]?.ToString() ?? "?");
            }
        }
    }

    /// <summary>Resources as a list, or (language version 2.0, symbolic names) as an object keyed by symbol.</summary>
    private static IEnumerable<JsonObject> Resources(JsonObject template) => template["resources"] switch
    {
        JsonArray list => list.OfType<JsonObject>(),
        JsonObject symbols => symbols.Select(s => s.Value).OfType<JsonObject>(),
        _ => [],
    };

    private static string Resolve(JsonObject template, string expression) =>
        Variable().Replace(expression, m => Navigate(template, m.Groups["name"].Value, m.Groups["path"].Value)?.ToJsonString() ?? m.Value);

    private static JsonNode? Navigate(JsonObject template, string name, string path)
    {
        var node = template["variables"]?[name];
        foreach (Match step in PathStep().Matches(path))
        {
            node = step.Groups["index"].Success ? node?[int.Parse(step.Groups["index"].Value)] : node?[step.Groups["member"].Value];
        }
        return node;
    }

    /// <summary>
    /// The resource type an expression points at: the first argument of <paramref name="function"/>('Type', …), or
    /// the type of the symbolic name it names (language version 2.0).
    /// </summary>
    private static string TypeOf(JsonObject template, string expression, string function)
    {
        if (Regex.Match(expression, $@"\b{function}\(\s*resourceId\(\s*'(?<type>[^']+)'|\b(?:resourceId|{function})\(\s*'(?<type>[^']+/[^']+)'") is { Success: true } typed)
        {
            return typed.Groups["type"].Value;
        }
        if (Regex.Match(expression, $@"\b(?:{function}|resourceId)\(\s*'(?<symbol>\w+)'") is { Success: true } symbolic
            && template["resources"] is JsonObject symbols && symbols[symbolic.Groups["symbol"].Value] is { } resource)
        {
            return resource["type"]!.ToString();
        }
        return Regex.Match(expression, @"parameters\('(?<name>\w+)'\)") is { Success: true } parameter
            ? $"parameter:{parameter.Groups["name"].Value}"
            : $"unknown:{expression}";
    }

    private static CompiledTemplate Compile(string mainBicep)
    {
        var bicep = Repository.BicepPath;
        if (!File.Exists(bicep))
        {
            throw new InvalidOperationException($"Bicep CLI not found at {bicep}: restore tests/Panaptico.Infra.Tests first.");
        }
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The pinned Bicep CLI (Azure.Bicep.CommandLine.linux-x64) runs on Linux x64 only.");
        }
        if (!File.GetUnixFileMode(bicep).HasFlag(UnixFileMode.UserExecute))
        {
            // NuGet extraction does not always keep the executable bit.
            File.SetUnixFileMode(bicep, File.GetUnixFileMode(bicep) | UnixFileMode.UserExecute);
        }
        var start = new ProcessStartInfo(bicep)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(mainBicep)!,
        };
        start.ArgumentList.Add("build");
        start.ArgumentList.Add(mainBicep);
        start.ArgumentList.Add("--stdout");
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var json = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"bicep build failed ({process.ExitCode}): {error.Result}");
        }
        return new CompiledTemplate(JsonNode.Parse(json)!.AsObject());
    }

    [GeneratedRegex(@"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex Guid();

    [GeneratedRegex(@"variables\('(?<name>\w+)'\)(?<path>(?:\.\w+|\[\d+\])*)")]
    private static partial Regex Variable();

    [GeneratedRegex(@"^\[variables\('(?<name>\w+)'\)(?<path>(?:\.\w+|\[\d+\])*)\]$")]
    private static partial Regex WholeVariable();

    [GeneratedRegex(@"\.(?<member>\w+)|\[(?<index>\d+)\]")]
    private static partial Regex PathStep();
}
