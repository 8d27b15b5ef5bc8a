using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Panaptico.Connectors.Drift.Snapshots;

/// <summary>
/// A Datadog monitor (e.g. auth-latency-p99) in the Monitors API's shape: its query, thresholds and who it notifies
/// (the <c>@</c> handles in its message). <c>system</c> datadog, <c>kind</c> monitor.
/// </summary>
public sealed partial record DatadogMonitor : ISnapshotState
{
    public long? Id { get; init; }

    public string? Name { get; init; }

    /// <summary>"metric alert", "query alert", "service check", "log alert", …</summary>
    public string? Type { get; init; }

    public string? Query { get; init; }

    /// <summary>The notification text; its <c>@handles</c> are who gets notified.</summary>
    public string? Message { get; init; }

    public DatadogMonitorOptions? Options { get; init; }

    public void Validate(SnapshotCheck check)
    {
        check.Range("id", Id, 1, long.MaxValue);
        check.Text("name", Name);
        check.OneOf("type", Type, ["metric alert", "query alert", "service check", "event alert", "log alert", "process alert", "trace-analytics alert", "composite", "slo alert"]);
        check.Text("query", Query, 4096);
        check.Present("message", Message);
        if (check.Present("options", Options))
        {
            Options.Validate(check.Under("options"));
        }
    }

    public IReadOnlyDictionary<string, JsonNode?> ToFields() => new Dictionary<string, JsonNode?>
    {
        ["name"] = Name,
        ["type"] = Type,
        ["query"] = Query,
        ["thresholds.critical"] = Options?.Thresholds?.Critical,
        ["thresholds.warning"] = Options?.Thresholds?.Warning,
        ["thresholds.criticalRecovery"] = Options?.Thresholds?.CriticalRecovery,
        ["notify"] = SnapshotFields.SortedSet(Handle().Matches(Message ?? "").Select(m => m.Value.ToLowerInvariant()).Distinct()),
        ["notifyNoData"] = Options?.NotifyNoData,
        ["renotifyInterval"] = Options?.RenotifyInterval,
    };

    [GeneratedRegex(@"@[A-Za-z0-9_.\-]+(@[A-Za-z0-9_.\-]+)?")]
    private static partial Regex Handle();
}

public sealed record DatadogMonitorOptions
{
    public DatadogThresholds? Thresholds { get; init; }

    public bool? NotifyNoData { get; init; }

    /// <summary>Minutes between re-notifications; null or 0 for never.</summary>
    public long? RenotifyInterval { get; init; }

    public void Validate(SnapshotCheck check)
    {
        if (check.Present("thresholds", Thresholds))
        {
            check.Under("thresholds").Present("critical", Thresholds.Critical);
        }
        check.Present("notifyNoData", NotifyNoData);
        if (RenotifyInterval is < 0)
        {
            check.Fail("renotifyInterval", $"{RenotifyInterval} is negative");
        }
    }
}

/// <summary>Datadog's <c>options.thresholds</c>: critical is required, the rest optional.</summary>
public sealed record DatadogThresholds
{
    public decimal? Critical { get; init; }

    public decimal? Warning { get; init; }

    public decimal? CriticalRecovery { get; init; }

    public decimal? WarningRecovery { get; init; }
}
