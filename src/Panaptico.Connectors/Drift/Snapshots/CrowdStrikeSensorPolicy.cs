using System.Text.Json.Nodes;

namespace Panaptico.Connectors.Drift.Snapshots;

/// <summary>
/// CrowdStrike Falcon, a host group's sensor policy (e.g. EMEA-finance): the prevention policy's mode and the sensor
/// update policy. <c>system</c> crowdstrike, <c>kind</c> sensor-policy.
/// </summary>
public sealed record CrowdStrikeSensorPolicy : ISnapshotState
{
    public static readonly string[] PreventionModes = ["prevent", "detect", "monitor-only", "disabled"];
    public static readonly string[] Platforms = ["Windows", "Mac", "Linux"];

    public string? PolicyId { get; init; }

    public string? Name { get; init; }

    public string? Platform { get; init; }

    public bool? Enabled { get; init; }

    /// <summary>prevent (block), detect (alert only), monitor-only (no alerts), disabled.</summary>
    public string? PreventionMode { get; init; }

    public CrowdStrikeSensorUpdatePolicy? SensorUpdatePolicy { get; init; }

    public void Validate(SnapshotCheck check)
    {
        check.Text("policyId", PolicyId);
        check.Text("name", Name);
        check.OneOf("platform", Platform, Platforms);
        check.Present("enabled", Enabled);
        check.OneOf("preventionMode", PreventionMode, PreventionModes);
        if (check.Present("sensorUpdatePolicy", SensorUpdatePolicy))
        {
            SensorUpdatePolicy.Validate(check.Under("sensorUpdatePolicy"));
        }
    }

    public IReadOnlyDictionary<string, JsonNode?> ToFields() => new Dictionary<string, JsonNode?>
    {
        ["name"] = Name,
        ["platform"] = Platform,
        ["enabled"] = Enabled,
        ["preventionMode"] = PreventionMode,
        ["sensorUpdatePolicy.name"] = SensorUpdatePolicy?.Name,
        ["sensorUpdatePolicy.build"] = SensorUpdatePolicy?.Build,
        ["sensorUpdatePolicy.uninstallProtection"] = SensorUpdatePolicy?.UninstallProtection,
    };
}

/// <summary>The sensor update policy: which build the sensors follow (n, n-1, n-2, a pinned version) and uninstall protection.</summary>
public sealed record CrowdStrikeSensorUpdatePolicy
{
    public string? Name { get; init; }

    /// <summary>"n", "n-1", "n-2" or a pinned build number.</summary>
    public string? Build { get; init; }

    /// <summary>ENABLED or DISABLED, as Falcon spells it.</summary>
    public string? UninstallProtection { get; init; }

    public void Validate(SnapshotCheck check)
    {
        check.Text("name", Name);
        check.Text("build", Build, 64);
        check.OneOf("uninstallProtection", UninstallProtection, ["ENABLED", "DISABLED", "MAINTENANCE_MODE"]);
    }
}
