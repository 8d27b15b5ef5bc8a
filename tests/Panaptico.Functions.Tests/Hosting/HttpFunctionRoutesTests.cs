using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Functions.Hosting;
using Panaptico.Functions.Standalone;

namespace Panaptico.Functions.Tests.Hosting;

public sealed class HttpFunctionRoutesTests
{
    [Fact]
    public async Task A_method_the_function_json_does_not_declare_is_refused()
    {
        await using var app = await TestFunctionApp.StartAsync(HostingMode.Standalone);

        var response = await app.CreateClient().PostAsync("/api/health", null);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task An_http_function_declared_without_code_stops_the_app_at_start()
    {
        var root = TestFunctionApp.CreateRoot(new Dictionary<string, JsonObject>
        {
            ["Orphan"] = JsonNode.Parse("""
                {"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","methods":["get"],"route":"orphan"},
                             {"type":"http","direction":"out","name":"res"}]}
                """)!.AsObject(),
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TestFunctionApp.StartAsync(HostingMode.Standalone, root));

        Assert.Contains("Orphan", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timer_with_run_on_startup_fires_when_the_app_starts()
    {
        var recorder = new Recorder();
        var observer = new AwaitableObserver();
        var timer = Bindings.Timer("0 0 0 1 1 *");
        timer["bindings"]![0]!["runOnStartup"] = true;
        var root = TestFunctionApp.CreateRoot(new Dictionary<string, JsonObject> { ["Startup"] = timer });

        await using var app = await TestFunctionApp.StartAsync(HostingMode.Standalone, root, services: services =>
        {
            services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero)));
            services.AddSingleton<TriggerObserver>(observer);
            services.AddSingleton(recorder);
            services.AddFunction<RecordingFunction>("Startup");
        });
        await observer.WhenAsync(() => observer.Timers.Any(t => t.Function == "Startup"));

        Assert.Equal(TimerOutcome.Fired, observer.Timers.Single(t => t.Function == "Startup").Outcome);
        Assert.Single(recorder.DataOf("Startup"));
    }
}
