using System.Text.Json.Nodes;

namespace Panaptico.Connectors.Drift.Snapshots;

/// <summary>
/// A Snowflake virtual warehouse (e.g. REPORTING_WH) as <c>SHOW WAREHOUSES</c> reports it: size, auto-suspend,
/// cluster counts, scaling policy. <c>system</c> snowflake, <c>kind</c> warehouse.
/// </summary>
public sealed record SnowflakeWarehouse : ISnapshotState
{
    public static readonly string[] Sizes =
        ["X-Small", "Small", "Medium", "Large", "X-Large", "2X-Large", "3X-Large", "4X-Large", "5X-Large", "6X-Large"];

    public string? Name { get; init; }

    /// <summary>As SHOW WAREHOUSES spells it: X-Small … 6X-Large.</summary>
    public string? Size { get; init; }

    /// <summary>Seconds idle before the warehouse suspends; 0 or null means never (Snowflake shows null).</summary>
    public long? AutoSuspend { get; init; }

    public bool? AutoResume { get; init; }

    public int? MinClusterCount { get; init; }

    public int? MaxClusterCount { get; init; }

    /// <summary>STANDARD or ECONOMY.</summary>
    public string? ScalingPolicy { get; init; }

    public void Validate(SnapshotCheck check)
    {
        check.Text("name", Name);
        check.OneOf("size", Size, Sizes);
        if (AutoSuspend is < 0)
        {
            check.Fail("autoSuspend", $"{AutoSuspend} is negative (seconds, or null for never)");
        }
        check.Present("autoResume", AutoResume);
        check.Range("minClusterCount", MinClusterCount, 1, 300);
        check.Range("maxClusterCount", MaxClusterCount, 1, 300);
        // Compared only when each is in range, so one bad count is one problem.
        if (MinClusterCount is >= 1 and <= 300 && MaxClusterCount is >= 1 and <= 300 && MinClusterCount > MaxClusterCount)
        {
            check.Fail("maxClusterCount", $"{MaxClusterCount} is below minClusterCount {MinClusterCount}");
        }
        check.OneOf("scalingPolicy", ScalingPolicy, ["STANDARD", "ECONOMY"]);
    }

    public IReadOnlyDictionary<string, JsonNode?> ToFields() => new Dictionary<string, JsonNode?>
    {
        ["name"] = Name,
        ["size"] = Size,
        // Never suspending reads as 0 whichever way the collector spelled it.
        ["autoSuspend"] = AutoSuspend ?? 0,
        ["autoResume"] = AutoResume,
        ["minClusterCount"] = MinClusterCount,
        ["maxClusterCount"] = MaxClusterCount,
        ["scalingPolicy"] = ScalingPolicy,
    };
}
