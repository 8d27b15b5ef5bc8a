using Panaptico.Functions.Hosting;

namespace Panaptico.Functions.Tests.Hosting;

public class FunctionCatalogTests
{
    [Fact]
    public void The_deployed_app_declares_its_functions_beside_the_handler()
    {
        var catalog = FunctionCatalog.Load(TestFunctionApp.DeployedRoot);

        Assert.Equal(TriggerKind.Http, catalog.Find("Health")!.Trigger);
        Assert.Equal("health", catalog.Find("Health")!.HttpRoute);
        Assert.Equal(TriggerKind.Timer, catalog.Find("Heartbeat")!.Trigger);
    }

    [Fact]
    public void A_function_json_with_two_triggers_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => FunctionCatalog.Parse("Twice", """
            {"bindings":[{"type":"timerTrigger","name":"a","schedule":"0 * * * * *"},{"type":"queueTrigger","name":"b","queueName":"q"}]}
            """));
        Assert.Contains("exactly one trigger", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_json_queue_settings_are_read_as_the_host_reads_them()
    {
        var settings = HostSettings.Load(Path.Combine(TestFunctionApp.DeployedRoot, "host.json"));

        Assert.Equal(5, settings.Queues.MaxDequeueCount);
        Assert.Equal(16, settings.Queues.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.Queues.MaxPollingInterval);
    }
}
