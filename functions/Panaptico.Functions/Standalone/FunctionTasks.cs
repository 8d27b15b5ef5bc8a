using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging.Abstractions;

namespace Panaptico.Functions.Standalone;

/// <summary>An <c>[OrchestrationTrigger]</c> function as the Durable Task worker's orchestrator.</summary>
public sealed class FunctionOrchestrator(FunctionEntry function, IServiceProvider services) : ITaskOrchestrator
{
    // The raw input is kept as JSON: the function asks for its type with context.GetInput<T>(), as in Durable Functions.
    public Type InputType => typeof(JsonElement?);

    public Type OutputType => function.ResultType == typeof(void) ? typeof(object) : function.ResultType;

    public Task<object?> RunAsync(TaskOrchestrationContext context, object? input) =>
        FunctionRunner.InvokeAsync(function, services, new FunctionOrchestrationContext(context, input as JsonElement?), CancellationToken.None);
}

/// <summary>An <c>[ActivityTrigger]</c> function as the Durable Task worker's activity, in a scope of its own.</summary>
public sealed class FunctionActivity(FunctionEntry function, IServiceScopeFactory scopes) : ITaskActivity
{
    public Type InputType => function.TriggerParameter.ParameterType;

    public Type OutputType => function.ResultType == typeof(void) ? typeof(object) : function.ResultType;

    public async Task<object?> RunAsync(TaskActivityContext context, object? input)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await FunctionRunner.InvokeAsync(function, scope.ServiceProvider, input, CancellationToken.None);
    }
}

/// <summary>
/// The orchestration context handed to an orchestrator function: everything from the engine's context, with
/// <see cref="GetInput{T}"/> reading the input as the type the function asks for.
/// </summary>
internal sealed class FunctionOrchestrationContext(TaskOrchestrationContext inner, JsonElement? input) : TaskOrchestrationContext
{
    public override TaskName Name => inner.Name;
    public override string InstanceId => inner.InstanceId;
    public override ParentOrchestrationInstance? Parent => inner.Parent;
    public override DateTime CurrentUtcDateTime => inner.CurrentUtcDateTime;
    public override bool IsReplaying => inner.IsReplaying;
    public override string Version => inner.Version;
    public override IReadOnlyDictionary<string, object?> Properties => inner.Properties;
    public override TaskOrchestrationEntityFeature Entities => inner.Entities;
    protected override ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;

    public override T? GetInput<T>() where T : default => input is { } json ? json.Deserialize<T>() : default;

    public override Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null) =>
        inner.CallActivityAsync<TResult>(name, input, options);

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => inner.CreateTimer(fireAt, cancellationToken);

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default) =>
        inner.WaitForExternalEvent<T>(eventName, cancellationToken);

    public override void SendEvent(string instanceId, string eventName, object payload) => inner.SendEvent(instanceId, eventName, payload);

    public override void SetCustomStatus(object? customStatus) => inner.SetCustomStatus(customStatus);

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
        inner.CallSubOrchestratorAsync<TResult>(orchestratorName, input, options);

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) =>
        inner.ContinueAsNew(newInput, preserveUnprocessedEvents);

    public override Guid NewGuid() => inner.NewGuid();
}
