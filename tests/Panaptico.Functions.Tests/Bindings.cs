using System.Text.Json.Nodes;

namespace Panaptico.Functions.Tests;

/// <summary>function.json contents for test functions.</summary>
public static class Bindings
{
    public static JsonObject Timer(string schedule) => Trigger(new JsonObject
    {
        ["type"] = "timerTrigger",
        ["direction"] = "in",
        ["name"] = "timer",
        ["schedule"] = schedule,
    });

    public static JsonObject Queue(string queueName) => Trigger(new JsonObject
    {
        ["type"] = "queueTrigger",
        ["direction"] = "in",
        ["name"] = "message",
        ["queueName"] = queueName,
        ["connection"] = "AzureWebJobsStorage",
    });

    public static JsonObject EventGrid() => Trigger(new JsonObject
    {
        ["type"] = "eventGridTrigger",
        ["direction"] = "in",
        ["name"] = "eventGridEvent",
    });

    private static JsonObject Trigger(JsonObject trigger) => new() { ["bindings"] = new JsonArray(trigger) };
}
