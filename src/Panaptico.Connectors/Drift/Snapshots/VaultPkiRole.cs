using System.Text.Json.Nodes;

namespace Panaptico.Connectors.Drift.Snapshots;

/// <summary>
/// A Vault PKI secrets engine role (e.g. the pki-intermediate mount's issuing role) as <c>GET {mount}/roles/{name}</c>
/// returns it: how long certificates live and which names they may carry. <c>system</c> vault, <c>kind</c> pki-role.
/// </summary>
public sealed record VaultPkiRole : ISnapshotState
{
    public string? Mount { get; init; }

    public string? Role { get; init; }

    /// <summary>Vault's duration: seconds as a number, or a string such as "720h", "30m", "43200s".</summary>
    public JsonNode? MaxTtl { get; init; }

    public JsonNode? Ttl { get; init; }

    public IReadOnlyList<string?>? AllowedDomains { get; init; }

    public bool? AllowSubdomains { get; init; }

    public bool? AllowAnyName { get; init; }

    public bool? EnforceHostnames { get; init; }

    public void Validate(SnapshotCheck check)
    {
        check.Text("mount", Mount, 128);
        check.Text("role", Role, 128);
        if (check.Present("maxTtl", MaxTtl) && Seconds(MaxTtl) is null)
        {
            check.Fail("maxTtl", $"{MaxTtl.ToJsonString()} is not a duration (seconds, or a number with s, m, h or d)");
        }
        if (Ttl is not null && Seconds(Ttl) is null)
        {
            check.Fail("ttl", $"{Ttl.ToJsonString()} is not a duration (seconds, or a number with s, m, h or d)");
        }
        check.Strings("allowedDomains", AllowedDomains);
        check.Present("allowSubdomains", AllowSubdomains);
        check.Present("allowAnyName", AllowAnyName);
        check.Present("enforceHostnames", EnforceHostnames);
    }

    /// <summary>TTLs read as seconds, however the collector wrote them; domains as a sorted, lowercase set.</summary>
    public IReadOnlyDictionary<string, JsonNode?> ToFields() => new Dictionary<string, JsonNode?>
    {
        ["maxTtl"] = Seconds(MaxTtl),
        ["ttl"] = Seconds(Ttl),
        ["allowedDomains"] = SnapshotFields.SortedSet(AllowedDomains?.Select(d => d?.ToLowerInvariant()) ?? []),
        ["allowSubdomains"] = AllowSubdomains,
        ["allowAnyName"] = AllowAnyName,
        ["enforceHostnames"] = EnforceHostnames,
    };

    /// <summary>Vault's duration forms: an integer of seconds, or digits with one unit s, m, h or d.</summary>
    public static long? Seconds(JsonNode? duration)
    {
        if (duration is not JsonValue value)
        {
            return null;
        }
        if (value.TryGetValue<long>(out var seconds))
        {
            return seconds >= 0 ? seconds : null;
        }
        if (!value.TryGetValue<string>(out var text) || text.Length < 2)
        {
            return null;
        }
        var unit = text[^1] switch { 's' => 1L, 'm' => 60L, 'h' => 3600L, 'd' => 86400L, _ => 0L };
        if (unit == 0)
        {
            return long.TryParse(text, out var plain) && plain >= 0 ? plain : null;
        }
        return long.TryParse(text[..^1], out var count) && count >= 0 && count <= long.MaxValue / unit ? count * unit : null;
    }
}
