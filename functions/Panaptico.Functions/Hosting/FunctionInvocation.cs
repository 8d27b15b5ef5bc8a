using System.Text.Json.Nodes;

namespace Panaptico.Functions.Hosting;

/// <summary>
/// One invocation, shaped as the Functions host sends it to a custom handler:
/// <c>Data</c> holds the trigger (and input) bindings by name, <c>Metadata</c> the trigger metadata.
/// </summary>
public sealed class FunctionInvocation(FunctionDefinition function, JsonObject data, JsonObject metadata)
{
    private readonly List<string> _logs = [];

    public FunctionDefinition Function { get; } = function;
    public JsonObject Data { get; } = data;
    public JsonObject Metadata { get; } = metadata;
    public IReadOnlyList<string> Logs => _logs;

    /// <summary>The trigger binding's value, e.g. the queue message or the timer info.</summary>
    public JsonNode? Trigger => Data[Function.TriggerBindingName];

    /// <summary>A log line returned to the host in <c>Logs</c>; never put secrets here.</summary>
    public void Log(string line) => _logs.Add(line);

    public T? MetadataValue<T>(string name) => Metadata[name] is { } node ? node.GetValue<T>() : default;
}

/// <summary>What a function answers: named output bindings and a return value.</summary>
public sealed record FunctionResult(JsonObject? Outputs = null, JsonNode? ReturnValue = null)
{
    public static readonly FunctionResult Empty = new();
}

/// <summary>A non-HTTP function's code. It does not know whether the Functions host or standalone mode runs it.</summary>
public interface IFunctionHandler
{
    Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken);
}
