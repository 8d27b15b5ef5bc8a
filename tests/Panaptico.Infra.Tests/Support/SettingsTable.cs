namespace Panaptico.Infra.Tests.Support;

/// <summary>A row of README.md's settings table: the names in its first cell, its default and who sets it.</summary>
public sealed record DocumentedSetting(IReadOnlyList<SettingName> Names, string Default, string SetBy, int Line)
{
    /// <summary>Rows whose "who sets it" names infra-bicep claim that the Bicep sets each of their names.</summary>
    public bool SetByBicep => SetBy.Contains("infra-bicep", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The table under README.md's <c>### Settings</c> heading: columns <c>setting</c>, <c>default</c>, <c>who sets it</c>
/// (others allowed); the setting cell holds one or more names in backticks.
/// </summary>
public static class SettingsTable
{
    public const string Heading = "### Settings";

    public static IReadOnlyList<DocumentedSetting> Read(string readmePath)
    {
        var lines = File.ReadAllLines(readmePath);
        var heading = Array.FindIndex(lines, l => l.Trim() == Heading);
        if (heading < 0)
        {
            throw new InvalidOperationException($"README.md has no '{Heading}' section");
        }
        var header = Array.FindIndex(lines, heading, l => l.TrimStart().StartsWith('|'));
        var columns = Cells(lines[header]).Select(c => c.ToLowerInvariant()).ToList();
        int Column(string name) => columns.IndexOf(name) is >= 0 and var index
            ? index
            : throw new InvalidOperationException($"README.md's settings table has no '{name}' column (it has: {string.Join(", ", columns)})");
        var (setting, @default, setBy) = (Column("setting"), Column("default"), Column("who sets it"));

        var rows = new List<DocumentedSetting>();
        for (var i = header + 2; i < lines.Length && lines[i].TrimStart().StartsWith('|'); i++)
        {
            var cells = Cells(lines[i]);
            var names = cells[setting].Split('`').Where((_, index) => index % 2 == 1).Select(SettingName.Parse).ToList();
            if (names.Count == 0)
            {
                throw new InvalidOperationException($"README.md line {i + 1}: no `setting` name in the first cell");
            }
            rows.Add(new DocumentedSetting(names, cells[@default], cells[setBy], i + 1));
        }
        return rows;
    }

    /// <summary>A table row's cells; a <c>|</c> inside backticks (<c>`a|b`</c>) is text, not a border.</summary>
    private static List<string> Cells(string row)
    {
        var cells = new List<string>();
        var current = new System.Text.StringBuilder();
        var code = false;
        foreach (var c in row.Trim().Trim('|'))
        {
            if (c == '`')
            {
                code = !code;
            }
            if (c == '|' && !code)
            {
                cells.Add(current.ToString().Trim());
                current.Clear();
                continue;
            }
            current.Append(c);
        }
        cells.Add(current.ToString().Trim());
        return cells;
    }
}
