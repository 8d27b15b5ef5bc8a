using System.Text.Json.Nodes;

namespace Panaptico.Functions.Hosting;

/// <summary>The parts of <c>host.json</c> that standalone mode honours as the Functions host would.</summary>
public sealed record QueueSettings(int BatchSize, int MaxDequeueCount, TimeSpan VisibilityTimeout, TimeSpan MaxPollingInterval)
{
    public static readonly QueueSettings Default = new(16, 5, TimeSpan.Zero, TimeSpan.FromMinutes(1));
}

public sealed record HostSettings(QueueSettings Queues)
{
    public static HostSettings Load(string hostJsonPath)
    {
        if (!File.Exists(hostJsonPath))
        {
            return new HostSettings(QueueSettings.Default);
        }
        var queues = JsonNode.Parse(File.ReadAllText(hostJsonPath))?["extensions"]?["queues"];
        var defaults = QueueSettings.Default;
        return new HostSettings(new QueueSettings(
            queues?["batchSize"]?.GetValue<int>() ?? defaults.BatchSize,
            queues?["maxDequeueCount"]?.GetValue<int>() ?? defaults.MaxDequeueCount,
            ParseSpan(queues?["visibilityTimeout"]) ?? defaults.VisibilityTimeout,
            ParseSpan(queues?["maxPollingInterval"]) ?? defaults.MaxPollingInterval));
    }

    private static TimeSpan? ParseSpan(JsonNode? node) =>
        node is null ? null : TimeSpan.Parse(node.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
}
