using System.Text.Json;
using System.Text.Json.Serialization;

namespace Panaptico.Storage.Governance;

/// <summary>How governance records are stored: the domain's plain records as web JSON, enums by name.</summary>
public static class GovernanceJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"stored {typeof(T).Name} is null");
}
