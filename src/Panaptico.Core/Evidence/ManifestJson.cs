using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Evidence;

/// <summary>The one JSON shape of manifests and keyrings: camelCase, UTC times at 100 ns precision, kebab-case enums.</summary>
public static class ManifestJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    public static JsonNode ToNode(BundleManifest manifest) =>
        JsonSerializer.SerializeToNode(manifest, Options)!;

    public static BundleManifest FromNode(JsonNode node) =>
        node.Deserialize<BundleManifest>(Options) ?? throw new JsonException("manifest is null");

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            // Missing fields must not silently default: a manifest is either complete or rejected.
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        options.Converters.Add(new UtcTimeConverter());
        options.MakeReadOnly();
        return options;
    }

    /// <summary>Fixed precision so that the same instant always canonicalizes to the same bytes.</summary>
    private sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
    {
        private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTimeOffset.ParseExact(reader.GetString()!, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
    }
}
