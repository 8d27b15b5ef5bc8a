namespace Panaptico.Core.Evidence;

/// <summary>
/// The name an artifact is captured under, as the uploader sent it: a plain file name, never a path. It is recorded
/// in the task, the ledger and the sealed bundle's manifest, and a bundle exported to disk must not be able to write
/// outside its folder, so a name is refused (never silently shortened) when it is empty, holds a path separator
/// (<c>/</c> or <c>\</c>), is or contains <c>..</c>, holds a control character, or is longer than <see cref="MaxLength"/>.
/// </summary>
public static class ArtifactName
{
    public const int MaxLength = 255;

    /// <summary>Why <paramref name="name"/> cannot name an artifact; null when it can.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "an artifact needs a file name";
        }

        if (name.Length > MaxLength)
        {
            return $"the artifact name is {name.Length} characters long; at most {MaxLength} are allowed";
        }

        if (name.IndexOfAny(['/', '\\']) >= 0)
        {
            return $"the artifact name '{Printable(name)}' holds a path separator ('/' or '\\'); send a file name, not a path";
        }

        if (name.Contains("..", StringComparison.Ordinal))
        {
            return $"the artifact name '{Printable(name)}' holds '..'; send a plain file name";
        }

        if (name.Any(char.IsControl))
        {
            return $"the artifact name '{Printable(name)}' holds a control character";
        }

        return null;
    }

    private static string Printable(string name) =>
        string.Concat(name.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
