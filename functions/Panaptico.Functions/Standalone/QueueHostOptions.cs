namespace Panaptico.Functions.Standalone;

/// <summary><c>extensions.queues</c> of host.json, which the standalone queue trigger honours as the Functions host does.</summary>
public sealed class QueueHostOptions
{
    public const string Section = "AzureFunctionsJobHost:extensions:queues";

    public int BatchSize { get; set; } = 16;
    public int MaxDequeueCount { get; set; } = 5;
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.Zero;
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMinutes(1);
}
