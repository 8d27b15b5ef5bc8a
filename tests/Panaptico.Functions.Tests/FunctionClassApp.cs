using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Panaptico.Functions.Audit;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Governance;
using Panaptico.Functions.Platform;
using Panaptico.Testing;

namespace Panaptico.Functions.Tests;

/// <summary>
/// The app's [Function] classes served in memory, the way a host serves them: each HTTP function at <c>/api/</c> +
/// its <see cref="HttpTriggerAttribute.Route"/> and methods, its class made with the app's services, its parameters
/// bound by the conventions (the request, route values as strings, the cancellation token, the Durable client); every
/// orchestrator and activity registered on the in-memory Durable Task engine
/// (<see cref="DurableTaskTestExtensions.AddInMemoryDurableTask"/>). Same shape as <see cref="TestFunctionApp"/>:
/// a stand-in for the governance and audit tests until the standalone host serves the function classes.
/// </summary>
public sealed class FunctionClassApp : IAsyncDisposable
{
    private FunctionClassApp(WebApplication app, DevelopmentIssuer issuer)
    {
        App = app;
        Issuer = issuer;
    }

    public WebApplication App { get; }

    public DevelopmentIssuer Issuer { get; }

    public IServiceProvider Services => App.Services;

    public DurableTaskClient Durable => App.Services.GetRequiredService<DurableTaskClient>();

    public HttpClient CreateClient(string? token = null)
    {
        var client = App.GetTestClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }

        return client;
    }

    /// <param name="services">Registered after the app's own, so they replace them (a fake clock, a test double).</param>
    public static async Task<FunctionClassApp> StartAsync(
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null,
        DevelopmentIssuer? issuer = null)
    {
        issuer ??= DevelopmentIssuer.Generate();
        var configuration = new Dictionary<string, string?>
        {
            ["Panaptico:StoragePrefix"] = TestStorage.UniqueName("p"),
            ["AzureWebJobsStorage"] = await TestStorage.ConnectionStringAsync(),
            ["Auth:SigningKeyPem"] = issuer.PublicKeyPem,
            // Follow-ups look soon after a write, so tests see what they do.
            ["Governance:FollowUpDelay"] = "PT1S",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddPlatform();
        builder.AddPanapticoAuth();
        builder.Services.AddProblemDetails();
        builder.Services.AddGovernance(builder.Configuration);
        builder.Services.AddAuditApi(builder.Configuration);
        builder.Services.AddInMemoryDurableTask(FunctionClasses.RegisterDurable);
        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseExceptionHandler();
        foreach (var function in FunctionClasses.Http)
        {
            app.MapMethods("/api/" + function.Route, function.Methods, function.InvokeAsync).WithName(function.Name);
        }

        await app.StartAsync();
        return new FunctionClassApp(app, issuer);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>The [Function] methods of the app, found by their attributes.</summary>
public static class FunctionClasses
{
    public static IReadOnlyList<HttpFunction> Http { get; } = [.. Methods()
        .Where(m => m.Method.GetParameters().Any(p => p.GetCustomAttribute<HttpTriggerAttribute>() is not null))
        .Select(m => new HttpFunction(m.Name, m.Method))];

    public static void RegisterDurable(DurableTaskRegistry registry)
    {
        foreach (var (name, method) in Methods())
        {
            var parameters = method.GetParameters();
            if (parameters.Any(p => p.GetCustomAttribute<OrchestrationTriggerAttribute>() is not null))
            {
                registry.AddOrchestrator(name, () => new MethodOrchestrator(method));
            }
            else if (parameters.Any(p => p.GetCustomAttribute<ActivityTriggerAttribute>() is not null))
            {
                registry.AddActivity(name, services => new MethodActivity(method, services));
            }
        }
    }

    private static IEnumerable<(string Name, MethodInfo Method)> Methods() =>
        typeof(GovernedExecution).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => (m.GetCustomAttribute<FunctionAttribute>()?.Name, m))
            .Where(f => f.Name is not null)
            .Select(f => (f.Name!, f.m));

    /// <summary>Awaits what a function method returned: nothing, a value, or a task of either.</summary>
    internal static async Task<object?> ResultAsync(object? returned)
    {
        if (returned is not Task task)
        {
            return returned;
        }

        await task;
        return task.GetType().IsGenericType ? task.GetType().GetProperty(nameof(Task<object>.Result))!.GetValue(task) : null;
    }

    internal static Type ResultType(MethodInfo method) =>
        method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>)
            ? method.ReturnType.GetGenericArguments()[0]
            : method.ReturnType == typeof(Task) ? typeof(object) : method.ReturnType;

    internal static object? Instance(MethodInfo method, IServiceProvider services) =>
        method.IsStatic ? null : ActivatorUtilities.GetServiceOrCreateInstance(services, method.DeclaringType!);

    public sealed class HttpFunction(string name, MethodInfo method)
    {
        private readonly HttpTriggerAttribute _trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).First(t => t is not null)!;

        public string Name { get; } = name;

        public string Route => _trigger.Route ?? Name;

        public IReadOnlyList<string> Methods => [.. (_trigger.Methods ?? ["get", "post"]).Select(m => m.ToUpperInvariant())];

        public async Task InvokeAsync(HttpContext context)
        {
            var arguments = method.GetParameters().Select<ParameterInfo, object?>(p => p switch
            {
                _ when p.ParameterType == typeof(HttpRequest) => context.Request,
                _ when p.ParameterType == typeof(CancellationToken) => context.RequestAborted,
                _ when p.ParameterType == typeof(DurableTaskClient) => context.RequestServices.GetRequiredService<DurableTaskClient>(),
                _ when p.ParameterType == typeof(string) => context.Request.RouteValues[p.Name!]?.ToString(),
                _ => throw new InvalidOperationException($"{Name}: parameter {p.Name} ({p.ParameterType.Name}) is not one the conventions allow"),
            }).ToArray();
            var result = await ResultAsync(method.Invoke(Instance(method, context.RequestServices), arguments));
            await ((IResult)result!).ExecuteAsync(context);
        }
    }

    private sealed class MethodOrchestrator(MethodInfo method) : ITaskOrchestrator
    {
        // The orchestrator reads its own input (context.GetInput<T>()).
        public Type InputType => typeof(object);

        public Type OutputType => ResultType(method);

        public Task<object?> RunAsync(TaskOrchestrationContext context, object? input) =>
            ResultAsync(method.Invoke(null, [new InputContext(context, input)]));
    }

    /// <summary>
    /// The worker's context casts its input to the type the orchestrator was registered with; a [Function] method
    /// declares none, so its <c>GetInput&lt;T&gt;()</c> reads the JSON it was given, as the Functions extension does.
    /// </summary>
    private sealed class InputContext(TaskOrchestrationContext inner, object? input) : TaskOrchestrationContext
    {
        public override TaskName Name => inner.Name;

        public override string InstanceId => inner.InstanceId;

        public override ParentOrchestrationInstance? Parent => inner.Parent;

        public override DateTime CurrentUtcDateTime => inner.CurrentUtcDateTime;

        public override bool IsReplaying => inner.IsReplaying;

        protected override ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;

        public override T? GetInput<T>()
            where T : default => input switch
            {
                null => default,
                JsonElement json => json.Deserialize<T>(),
                T typed => typed,
                _ => throw new InvalidCastException($"input {input.GetType().Name} is not {typeof(T).Name}"),
            };

        public override Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null) =>
            inner.CallActivityAsync<TResult>(name, input, options);

        public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => inner.CreateTimer(fireAt, cancellationToken);

        public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default) =>
            inner.WaitForExternalEvent<T>(eventName, cancellationToken);

        public override void SendEvent(string instanceId, string eventName, object payload) => inner.SendEvent(instanceId, eventName, payload);

        public override void SetCustomStatus(object? customStatus) => inner.SetCustomStatus(customStatus);

        public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
            inner.CallSubOrchestratorAsync<TResult>(orchestratorName, input, options);

        public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) => inner.ContinueAsNew(newInput, preserveUnprocessedEvents);

        public override Guid NewGuid() => inner.NewGuid();
    }

    private sealed class MethodActivity(MethodInfo method, IServiceProvider services) : ITaskActivity
    {
        public Type InputType => method.GetParameters().Single(p => p.GetCustomAttribute<ActivityTriggerAttribute>() is not null).ParameterType;

        public Type OutputType => ResultType(method);

        public async Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            try
            {
                return await ResultAsync(method.Invoke(Instance(method, services), [input]));
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }
        }
    }
}
