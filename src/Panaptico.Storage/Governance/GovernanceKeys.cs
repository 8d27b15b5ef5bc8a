using System.Text.RegularExpressions;

namespace Panaptico.Storage.Governance;

/// <summary>Task and plan ids become partition and row keys, so they are kept to characters every key allows.</summary>
public static partial class GovernanceKeys
{
    public const string Pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$";

    public static bool IsValid(string? id) => id is not null && ValidId().IsMatch(id);

    public static void Check(string id)
    {
        if (!IsValid(id))
        {
            throw new ArgumentException($"'{id}' is not a valid id: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100 characters", nameof(id));
        }
    }

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex ValidId();
}
