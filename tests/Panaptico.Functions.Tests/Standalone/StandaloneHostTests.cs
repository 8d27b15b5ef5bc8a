using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Functions.Standalone;

namespace Panaptico.Functions.Tests.Standalone;

public sealed record Greeting(string Name, int Count);

/// <summary>Functions of every trigger kind the standalone host runs, written as any function of the app is.</summary>
public sealed class GreetingFunctions
{
    [Function("Greet")]
    public static async Task<IResult> GreetAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "greetings/{name}")] HttpRequest request, string name,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(GreetingChain), new Greeting(name, 3),
            new StartOrchestrationOptions(InstanceId: $"greet-{name}"), cancellationToken);
        return Results.Json(new { id }, statusCode: StatusCodes.Status202Accepted);
    }

    [Function("Keyed")]
    public static IResult Keyed([HttpTrigger(AuthorizationLevel.Function, "get", Route = "keyed")] HttpRequest request) => Results.Ok();

    [Function(nameof(GreetingChain))]
    public static async Task<string> GreetingChain([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var input = context.GetInput<Greeting>()!;
        var parts = new List<string>();
        for (var i = 0; i < input.Count; i++)
        {
            parts.Add(await context.CallActivityAsync<string>(nameof(SayHello), new Greeting(input.Name, i)));
        }
        var reply = await context.WaitForExternalEvent<Greeting>("reply");
        await context.CreateTimer(context.CurrentUtcDateTime.AddMilliseconds(200), CancellationToken.None);
        return $"{string.Join(",", parts)}|{reply.Name}";
    }

    [Function(nameof(SayHello))]
    public static string SayHello([ActivityTrigger] Greeting greeting) => $"{greeting.Name}#{greeting.Count}";
}

public sealed class StandaloneHostTests
{
    [Fact]
    public async Task An_HTTP_function_schedules_an_orchestration_that_runs_activities_waits_for_an_event_and_a_timer_on_the_real_engine()
    {
        await using var app = await TestFunctionApp.StartAsync(functions: [typeof(GreetingFunctions)]);
        var client = app.Services.GetRequiredService<DurableTaskClient>();

        var response = await app.CreateClient().PostAsync(new Uri("/api/greetings/ana", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        Assert.Equal("greet-ana", id);

        await client.RaiseEventAsync(id, "reply", new Greeting("bo", 0));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("ana#0,ana#1,ana#2|bo", done.ReadOutputAs<string>());
        var history = await app.Services.GetRequiredService<StandaloneDurableClient>().GetHistoryAsync(id);
        var kinds = history.Select(e => e!["EventType"]!.GetValue<int>()).ToList();
        Assert.Equal(3, kinds.Count(k => k == 5)); // TaskCompleted
        Assert.Contains(11, kinds); // TimerFired
        Assert.Contains(15, kinds); // EventRaised
    }

    [Fact]
    public async Task An_instance_id_runs_once_however_often_it_is_scheduled()
    {
        await using var app = await TestFunctionApp.StartAsync(functions: [typeof(GreetingFunctions)]);
        var client = app.Services.GetRequiredService<DurableTaskClient>();
        var options = new StartOrchestrationOptions(InstanceId: "greet-cy");

        await client.ScheduleNewOrchestrationInstanceAsync(nameof(GreetingFunctions.GreetingChain), new Greeting("cy", 1), options);
        await client.ScheduleNewOrchestrationInstanceAsync(nameof(GreetingFunctions.GreetingChain), new Greeting("cy", 1), options);
        await client.RaiseEventAsync("greet-cy", "reply", new Greeting("dee", 0));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var done = await client.WaitForInstanceCompletionAsync("greet-cy", getInputsAndOutputs: true, timeout.Token);

        Assert.Equal("cy#0|dee", done.ReadOutputAs<string>());
        var history = await app.Services.GetRequiredService<StandaloneDurableClient>().GetHistoryAsync("greet-cy");
        Assert.Single(history, e => e!["EventType"]!.GetValue<int>() == 0); // ExecutionStarted
        await Assert.ThrowsAsync<global::DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException>(() =>
            client.ScheduleNewOrchestrationInstanceAsync(nameof(GreetingFunctions.GreetingChain), new Greeting("cy", 1), options));
    }

    [Fact]
    public async Task Routes_methods_and_function_keys_come_from_the_trigger_attributes()
    {
        await using var app = await TestFunctionApp.StartAsync(
            new Dictionary<string, string?> { ["Functions:Keys:default"] = "sesame" }, functions: [typeof(GreetingFunctions)]);
        var http = app.CreateClient();

        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.GetAsync(new Uri("/api/greetings/ana", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/api/nothing-here", UriKind.Relative))).StatusCode);
        var unkeyed = await http.GetAsync(new Uri("/api/keyed", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, unkeyed.StatusCode);
        Assert.Equal("application/problem+json", unkeyed.Content.Headers.ContentType?.MediaType);
        Assert.Equal("function-key-required", JsonNode.Parse(await unkeyed.Content.ReadAsStringAsync())!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/api/keyed?code=sesame", UriKind.Relative))).StatusCode);
    }
}
