using System.Text.Json.Nodes;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Connectors.Drift.AzureStorage;

/// <summary>
/// An Azure Storage asset, as the remediation connector reads it, flattened into drift fields. One reader for both
/// features: what remediation backs up and verifies is what drift compares.
/// </summary>
public static class StorageDriftFields
{
    /// <summary>The metadata key the freeze sets on a container (metadata keys are C# identifiers).</summary>
    public const string FrozenMetadataKey = "panaptico_frozen";

    /// <summary>
    /// Blob service: <c>cors</c> (the rules in service order: the first matching rule wins), <c>deleteRetention.enabled</c>,
    /// <c>deleteRetention.days</c>, <c>logging.version</c>, <c>logging.read</c>, <c>logging.write</c>, <c>logging.delete</c>,
    /// <c>logging.retention.enabled</c>, <c>logging.retention.days</c>. Container: <c>publicAccess</c> (none, blob,
    /// container), <c>accessPolicies</c> (sorted by id: the service keeps no meaningful order), <c>metadata.&lt;key&gt;</c>
    /// per key (lowercase: metadata keys are case-insensitive).
    /// </summary>
    public static IReadOnlyDictionary<string, JsonNode?> Of(AssetState state) => state switch
    {
        BlobServiceState service => new Dictionary<string, JsonNode?>
        {
            ["cors"] = new JsonArray([.. service.Cors.Select(rule => (JsonNode)new JsonObject
            {
                ["allowedOrigins"] = Strings(rule.AllowedOrigins),
                ["allowedMethods"] = Strings(rule.AllowedMethods),
                ["allowedHeaders"] = Strings(rule.AllowedHeaders),
                ["exposedHeaders"] = Strings(rule.ExposedHeaders),
                ["maxAgeInSeconds"] = rule.MaxAgeInSeconds,
            })]),
            ["deleteRetention.enabled"] = service.DeleteRetention.Enabled,
            ["deleteRetention.days"] = service.DeleteRetention.Days,
            ["logging.version"] = service.Logging.Version,
            ["logging.read"] = service.Logging.Read,
            ["logging.write"] = service.Logging.Write,
            ["logging.delete"] = service.Logging.Delete,
            ["logging.retention.enabled"] = service.Logging.Retention.Enabled,
            ["logging.retention.days"] = service.Logging.Retention.Days,
        },
        ContainerState container => Container(container),
        _ => throw new ArgumentException($"no drift fields for {state.GetType().Name}", nameof(state)),
    };

    private static Dictionary<string, JsonNode?> Container(ContainerState container)
    {
        var fields = new Dictionary<string, JsonNode?>
        {
            ["publicAccess"] = container.PublicAccess.ToString().ToLowerInvariant(),
            ["accessPolicies"] = new JsonArray([.. container.AccessPolicies.OrderBy(p => p.Id, StringComparer.Ordinal).Select(p => (JsonNode)new JsonObject
            {
                ["id"] = p.Id,
                ["permissions"] = p.Permissions,
                ["startsOn"] = p.StartsOn is { } start ? AzureTime.Format(start) : null,
                ["expiresOn"] = p.ExpiresOn is { } expiry ? AzureTime.Format(expiry) : null,
            })]),
        };
        foreach (var (key, value) in container.Metadata)
        {
            fields[$"metadata.{key.ToLowerInvariant()}"] = value;
        }
        return fields;
    }

    private static JsonArray Strings(IEnumerable<string> values) => [.. values.Select(v => (JsonNode?)JsonValue.Create(v))];
}
