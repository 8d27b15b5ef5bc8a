using System.Text.Json;

namespace Panaptico.Core.Drift;

/// <summary>The kebab-case spelling of every drift enum, in files, JSON, ledger and feed ("change-record", "set-equal").</summary>
public static class DriftNames
{
    public static string Of<T>(T value)
        where T : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    /// <summary>The enum value spelled <paramref name="name"/> (kebab-case; "json-normalized" also reads as JsonNormalised).</summary>
    public static bool TryParse<T>(string? name, out T value)
        where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(Of(candidate), name, StringComparison.Ordinal))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return name == "json-normalized" && Enum.TryParse("JsonNormalised", out value);
    }

    public static string Choices<T>()
        where T : struct, Enum => string.Join(", ", Enum.GetValues<T>().Select(Of));
}
