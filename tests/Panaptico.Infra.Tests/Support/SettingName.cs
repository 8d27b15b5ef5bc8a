namespace Panaptico.Infra.Tests.Support;

/// <summary>
/// A configuration key as .NET configuration sees it: segments split on <c>:</c> (an app setting's <c>__</c> is the
/// same separator), compared without case. A segment <c>*</c> stands for one segment known only at run time
/// (<c>Remediation:Accounts:*:AccountName</c>); a documented name may write it <c>N</c> or <c>&lt;name&gt;</c>,
/// and a documented name ending in <c>*</c> covers everything below it.
/// </summary>
public sealed class SettingName : IEquatable<SettingName>
{
    private const string Any = "*";

    private SettingName(string[] segments) => Segments = segments;

    public IReadOnlyList<string> Segments { get; }

    public static SettingName Parse(string name) => new(name.Replace("__", ":", StringComparison.Ordinal)
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(s => s is "N" || (s.StartsWith('<') && s.EndsWith('>')) ? Any : s)
        .ToArray());

    public bool IsPattern => Segments.Contains(Any);

    /// <summary>
    /// True when this name, defined (by the Bicep, host.json or the README), gives <paramref name="read"/> a value:
    /// the same key; or <paramref name="read"/> is a section this name lies in (the code reads the section, this
    /// sets part of it); or this is a documented <c>X:*</c> and <paramref name="read"/> lies in X.
    /// </summary>
    public bool Covers(SettingName read)
    {
        var mine = Segments;
        var theirs = read.Segments;
        if (mine.Count >= theirs.Count && SamePrefix(mine, theirs, theirs.Count))
        {
            return true;
        }
        return mine.Count > 0 && mine[^1] == Any && theirs.Count >= mine.Count - 1 && SamePrefix(mine, theirs, mine.Count - 1);
    }

    /// <summary>True when this key is <paramref name="name"/> itself, wildcards aside.</summary>
    public bool Matches(SettingName name) => Segments.Count == name.Segments.Count && SamePrefix(Segments, name.Segments, Segments.Count);

    /// <summary>True when <paramref name="name"/> lies inside this key (or is it).</summary>
    public bool Contains(SettingName name) => name.Segments.Count >= Segments.Count && SamePrefix(Segments, name.Segments, Segments.Count);

    private static bool SamePrefix(IReadOnlyList<string> a, IReadOnlyList<string> b, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (a[i] != Any && b[i] != Any && !string.Equals(a[i], b[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }
        return true;
    }

    public override string ToString() => string.Join(':', Segments);

    public bool Equals(SettingName? other) => other is not null && string.Equals(ToString(), other.ToString(), StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => Equals(obj as SettingName);

    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(ToString());
}
