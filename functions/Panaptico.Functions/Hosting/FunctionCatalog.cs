using System.Text.Json;
using System.Text.Json.Nodes;

namespace Panaptico.Functions.Hosting;

public enum TriggerKind
{
    Http,
    Timer,
    Queue,
    EventGrid,
}

/// <summary>One function as its <c>function.json</c> declares it: the single source of truth for its trigger.</summary>
public sealed record FunctionDefinition(string Name, TriggerKind Trigger, string TriggerBindingName, JsonObject TriggerBinding)
{
    public string? Setting(string property) => TriggerBinding[property]?.GetValue<string>();

    public bool Flag(string property) => TriggerBinding[property]?.GetValue<bool>() ?? false;

    public IReadOnlyList<string> HttpMethods =>
        TriggerBinding["methods"] is JsonArray methods
            ? methods.Select(m => m!.GetValue<string>().ToUpperInvariant()).ToArray()
            : ["GET", "POST", "PUT", "PATCH", "DELETE"];

    public string HttpRoute => Setting("route") ?? Name;
}

/// <summary>The function app's functions, read from <c>&lt;root&gt;/&lt;FunctionName&gt;/function.json</c> as the Functions host reads them.</summary>
public sealed class FunctionCatalog
{
    private static readonly Dictionary<string, TriggerKind> TriggerTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["httpTrigger"] = TriggerKind.Http,
        ["timerTrigger"] = TriggerKind.Timer,
        ["queueTrigger"] = TriggerKind.Queue,
        ["eventGridTrigger"] = TriggerKind.EventGrid,
    };

    private readonly Dictionary<string, FunctionDefinition> _functions;

    public FunctionCatalog(IEnumerable<FunctionDefinition> functions)
    {
        _functions = functions.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyCollection<FunctionDefinition> All => _functions.Values;

    public FunctionDefinition? Find(string name) => _functions.GetValueOrDefault(name);

    public IEnumerable<FunctionDefinition> OfKind(TriggerKind kind) => _functions.Values.Where(f => f.Trigger == kind);

    public static FunctionCatalog Load(string root)
    {
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"function app root '{root}' does not exist");
        }
        var definitions = new List<FunctionDefinition>();
        foreach (var file in Directory.EnumerateFiles(root, "function.json", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(Path.GetDirectoryName(file)!);
            definitions.Add(Parse(name, File.ReadAllText(file)));
        }
        return new FunctionCatalog(definitions);
    }

    public static FunctionDefinition Parse(string name, string functionJson)
    {
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(functionJson);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{name}/function.json is not valid JSON: {e.Message}", e);
        }
        var triggers = (document?["bindings"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Where(b => b["type"]?.GetValue<string>() is { } type && TriggerTypes.ContainsKey(type))
            .ToList();
        if (triggers.Count != 1)
        {
            throw new InvalidOperationException($"{name}/function.json must declare exactly one trigger binding");
        }
        var trigger = triggers[0];
        var bindingName = trigger["name"]?.GetValue<string>()
            ?? throw new InvalidOperationException($"{name}/function.json: the trigger binding has no name");
        return new FunctionDefinition(name, TriggerTypes[trigger["type"]!.GetValue<string>()], bindingName, trigger);
    }
}
