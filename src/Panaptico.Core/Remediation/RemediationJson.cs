using System.Text.Json;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Remediation;

/// <summary>
/// The one JSON shape of remediation records (change state, plans, backups, bundles) wherever they are stored or
/// sent: camelCase, enums as kebab-case strings, polymorphic records tagged by kind.
/// </summary>
public static class RemediationJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
