using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Panaptico.Connectors.Drift.Snapshots;

/// <summary>
/// One pushed observation of an object we do not read directly. <see cref="ObjectId"/> is the graph object's id;
/// <see cref="SnapshotId"/> is the collector's id for this observation (a retried push carries the same one).
/// </summary>
public sealed record Snapshot(string SnapshotId, string ObjectId, string System, string Kind, DateTimeOffset ObservedAt, ISnapshotState State)
{
    /// <summary>The envelope as JSON, the form the store keeps and <see cref="SnapshotSchemas.Parse(BinaryData)"/> reads.</summary>
    public BinaryData ToJson()
    {
        var state = JsonSerializer.SerializeToNode(State, State.GetType(), SnapshotSchemas.JsonOptions);
        return BinaryData.FromString(new JsonObject
        {
            ["snapshotId"] = SnapshotId,
            ["objectId"] = ObjectId,
            ["system"] = System,
            ["kind"] = Kind,
            ["observedAt"] = ObservedAt,
            ["state"] = state,
        }.ToJsonString());
    }
}

/// <summary>
/// The snapshot schemas, by (system, kind), and the one parser: a pushed body (HTTP or a dropped blob) becomes a
/// <see cref="Snapshot"/> or a <see cref="SnapshotInvalidException"/> naming each bad field. Nothing here stores.
/// </summary>
public static class SnapshotSchemas
{
    /// <summary>The largest snapshot accepted: the biggest schema (14 keys, a group's members) is a few KiB.</summary>
    public const int MaxBytes = 1024 * 1024;

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly string[] EnvelopeFields = ["snapshotId", "objectId", "system", "kind", "observedAt", "state"];

    /// <summary>Every schema: system → kind → the state's type.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, Type>> Known { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, Type>>(StringComparer.Ordinal)
        {
            ["crowdstrike"] = new Dictionary<string, Type> { ["sensor-policy"] = typeof(CrowdStrikeSensorPolicy) },
            ["okta"] = new Dictionary<string, Type> { ["group"] = typeof(OktaGroup) },
            ["snowflake"] = new Dictionary<string, Type> { ["warehouse"] = typeof(SnowflakeWarehouse) },
            ["aws"] = new Dictionary<string, Type> { ["kms-key-rotation"] = typeof(AwsKmsKeyRotation) },
            ["datadog"] = new Dictionary<string, Type> { ["monitor"] = typeof(DatadogMonitor) },
            ["vault"] = new Dictionary<string, Type> { ["pki-role"] = typeof(VaultPkiRole) },
            ["workday"] = new Dictionary<string, Type> { ["integration-system-user"] = typeof(WorkdayIntegrationUser) },
        };

    public static Snapshot Parse(string json) => Parse(BinaryData.FromString(json));

    /// <exception cref="SnapshotInvalidException">Too large, not JSON, an unknown system or kind, or a state that does not fit its schema.</exception>
    public static Snapshot Parse(BinaryData body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body.ToMemory().Length > MaxBytes)
        {
            throw Refused("$", $"is {body.ToMemory().Length} bytes; a snapshot is at most {MaxBytes}");
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body.ToMemory().Span);
        }
        catch (JsonException e)
        {
            throw Refused(Field(e.Path), $"is not JSON ({e.Message})");
        }
        if (root is not JsonObject envelope)
        {
            throw Refused("$", "must be a JSON object with snapshotId, objectId, system, kind, observedAt and state");
        }

        var check = new SnapshotCheck();
        foreach (var unknown in envelope.Select(p => p.Key).Except(EnvelopeFields, StringComparer.Ordinal))
        {
            check.Fail(unknown, "is not a snapshot field");
        }
        var snapshotId = Name(check, envelope, "snapshotId", 128);
        var objectId = Text(check, envelope, "objectId", 256);
        var system = Text(check, envelope, "system", 64);
        var kind = Text(check, envelope, "kind", 64);
        var observedAt = Time(check, envelope, "observedAt");
        var state = SchemaOf(check, system, kind) is { } type ? State(check, envelope["state"], type) : null;
        if (check.Problems.Count > 0)
        {
            throw new SnapshotInvalidException(check.Problems);
        }
        return new Snapshot(snapshotId!, objectId!, system!, kind!, observedAt!.Value, state!);
    }

    private static Type? SchemaOf(SnapshotCheck check, string? system, string? kind)
    {
        if (system is null || kind is null)
        {
            return null;
        }
        if (!Known.TryGetValue(system, out var kinds))
        {
            check.Fail("system", $"'{system}' has no snapshot schema; known: {string.Join(", ", Known.Keys)}");
            return null;
        }
        if (!kinds.TryGetValue(kind, out var type))
        {
            check.Fail("kind", $"{system} has no snapshot kind '{kind}'; known: {string.Join(", ", kinds.Keys)}");
            return null;
        }
        return type;
    }

    private static ISnapshotState? State(SnapshotCheck check, JsonNode? node, Type type)
    {
        if (node is not JsonObject)
        {
            check.Fail("state", node is null ? "is required" : "must be an object");
            return null;
        }
        ISnapshotState? state;
        try
        {
            state = (ISnapshotState?)node.Deserialize(type, JsonOptions);
        }
        catch (JsonException e)
        {
            // The serializer names the path it stopped at; an unmapped member is a field the schema does not have.
            var reason = e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? "is not a field of this schema"
                : "has the wrong type";
            check.Fail("state" + Field(e.Path).TrimStart('$'), reason);
            return null;
        }
        state!.Validate(check.Under("state"));
        return state;
    }

    private static string? Text(SnapshotCheck check, JsonObject envelope, string field, int maxLength)
    {
        if (envelope[field] is JsonValue value && value.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text) && text.Length <= maxLength)
        {
            return text;
        }
        check.Fail(field, envelope[field] is null ? "is required" : $"must be a non-empty string of at most {maxLength} characters");
        return null;
    }

    // The snapshot id names a blob: letters, digits, '.', '_' and '-'.
    private static string? Name(SnapshotCheck check, JsonObject envelope, string field, int maxLength)
    {
        var text = Text(check, envelope, field, maxLength);
        if (text is not null && !text.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            check.Fail(field, $"'{text}' may hold only letters, digits, '.', '_' and '-'");
            return null;
        }
        return text;
    }

    private static DateTimeOffset? Time(SnapshotCheck check, JsonObject envelope, string field)
    {
        if (envelope[field] is JsonValue value && value.TryGetValue<string>(out var text)
            && DateTimeOffset.TryParse(text, null, System.Globalization.DateTimeStyles.RoundtripKind, out var time)
            && (text.EndsWith('Z') || text.Contains('+', StringComparison.Ordinal) || text.LastIndexOf('-') > 10))
        {
            return time.ToUniversalTime();
        }
        check.Fail(field, envelope[field] is null ? "is required" : "must be an ISO 8601 time with a zone, e.g. 2026-04-15T03:10:00Z");
        return null;
    }

    private static string Field(string? jsonPath) => string.IsNullOrEmpty(jsonPath) ? "$" : jsonPath;

    private static SnapshotInvalidException Refused(string field, string reason) => new([new SnapshotProblem(field, reason)]);
}
