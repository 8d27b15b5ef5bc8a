using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Panaptico.Functions.Standalone;

namespace Panaptico.Functions.Tests.Hosting;

/// <summary>
/// The SDK-generated <c>functions.metadata</c> (what the Functions host deploys) against the README's function tables
/// and against what the standalone host indexes: one list of functions, three readers that must agree.
/// </summary>
public sealed partial class FunctionMetadataTests
{
    private static readonly JsonArray Metadata =
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray();

    [Fact]
    public void Every_HTTP_function_has_the_route_methods_and_auth_level_the_README_gives_it()
    {
        var documented = ReadmeRows().Where(r => r.Length == 5).ToDictionary(r => r[0], r => r);
        var generated = Functions().Where(f => f.Trigger == "httpTrigger").ToList();

        Assert.Equal(generated.Select(f => f.Name).Order(), documented.Keys.Order());
        Assert.All(generated, f =>
        {
            var row = documented[f.Name];
            Assert.Equal($"`{string.Join(", ", f.Methods.Select(m => m.ToUpperInvariant()))} /api/{f.Route}`", row[1]);
            Assert.Equal(f.AuthLevel.ToLowerInvariant(), row[2]);
        });
    }

    [Fact]
    public void Every_other_function_has_the_trigger_the_README_gives_it()
    {
        var documented = ReadmeRows().Where(r => r.Length == 3).ToDictionary(r => r[0], r => r[1]);
        var generated = Functions().Where(f => f.Trigger != "httpTrigger").ToList();

        Assert.Equal(generated.Select(f => f.Name).Order(), documented.Keys.Order());
        Assert.All(generated, f => Assert.StartsWith(f.Trigger.Replace("Trigger", "", StringComparison.Ordinal), documented[f.Name], StringComparison.Ordinal));
    }

    [Fact]
    public void The_standalone_host_indexes_exactly_the_functions_the_SDK_generated_metadata_for()
    {
        var index = FunctionIndex.FromAssemblies(typeof(FunctionApp).Assembly);
        var generated = Functions().ToList();

        Assert.Equal(generated.Select(f => f.Name).Order(), index.All.Select(f => f.Name).Order());
        Assert.All(generated.Where(f => f.Trigger == "httpTrigger"), f =>
        {
            var http = index.Find(f.Name)!.Http;
            Assert.Equal(f.Route, http.Route);
            Assert.Equal(f.Methods, http.Methods!.Select(m => m.ToLowerInvariant()));
        });
    }

    private sealed record Function(string Name, string Trigger, string Route, string[] Methods, string AuthLevel);

    private static IEnumerable<Function> Functions() => Metadata.Select(f =>
    {
        var trigger = f!["bindings"]!.AsArray().First(b => b!["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal))!;
        return new Function(
            f["name"]!.GetValue<string>(),
            trigger["type"]!.GetValue<string>(),
            trigger["route"]?.GetValue<string>() ?? "",
            [.. trigger["methods"]?.AsArray().Select(m => m!.GetValue<string>()) ?? []],
            trigger["authLevel"]?.GetValue<string>() ?? "");
    });

    /// <summary>The cells of every table row of the README's "HTTP API" section that names a function.</summary>
    private static IEnumerable<string[]> ReadmeRows()
    {
        var readme = File.ReadAllText(FindReadme());
        var section = readme[readme.IndexOf("## HTTP API", StringComparison.Ordinal)..readme.IndexOf("## Operating", StringComparison.Ordinal)];
        return section.Split('\n')
            .Where(line => FunctionRow().IsMatch(line))
            .Select(line => line.Trim().Trim('|').Split(" | ").Select(cell => cell.Trim()).ToArray())
            .Select(cells => cells.Length >= 5 ? cells[..5] : cells[..3])
            .Select(cells => (string[])[cells[0].Trim('`'), .. cells[1..]]);
    }

    private static string FindReadme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && File.Exists(Path.Combine(dir.FullName, "Panaptico.sln")))
            {
                return Path.Combine(dir.FullName, "README.md");
            }
        }
        throw new FileNotFoundException("README.md beside Panaptico.sln");
    }

    [GeneratedRegex(@"^\| `[A-Za-z]+` \|")]
    private static partial Regex FunctionRow();
}
