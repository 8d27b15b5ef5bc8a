using System.Diagnostics.CodeAnalysis;

namespace Panaptico.Connectors.Drift.Snapshots;

/// <summary>One thing wrong with a pushed snapshot: the JSON path of the field (e.g. <c>state.preventionMode</c>) and why.</summary>
public sealed record SnapshotProblem(string Field, string Reason)
{
    public override string ToString() => $"{Field}: {Reason}";
}

/// <summary>
/// A snapshot refused before anything is stored. <see cref="Code"/> is what the API puts in problem+json (400);
/// every problem names its field.
/// </summary>
public sealed class SnapshotInvalidException : Exception
{
    public const string InvalidCode = "drift.snapshot-invalid";

    public SnapshotInvalidException(IReadOnlyList<SnapshotProblem> problems)
        : base($"the snapshot is refused: {string.Join("; ", problems)}")
    {
        Problems = problems;
    }

    public SnapshotInvalidException()
        : this([new SnapshotProblem("$", "invalid snapshot")])
    {
    }

    public SnapshotInvalidException(string message)
        : this([new SnapshotProblem("$", message)])
    {
    }

    public SnapshotInvalidException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [new SnapshotProblem("$", message)];
    }

    public string Code { get; } = InvalidCode;

    public IReadOnlyList<SnapshotProblem> Problems { get; }
}

/// <summary>Collects the problems of one snapshot; each check names the field it looks at, under a path prefix.</summary>
public sealed class SnapshotCheck
{
    private readonly List<SnapshotProblem> _problems;
    private readonly string _prefix;

    public SnapshotCheck(string prefix = "")
        : this(prefix, [])
    {
    }

    private SnapshotCheck(string prefix, List<SnapshotProblem> problems)
    {
        _prefix = prefix;
        _problems = problems;
    }

    public IReadOnlyList<SnapshotProblem> Problems => _problems;

    /// <summary>Checks below <paramref name="field"/> (an object or a list element) name their fields under it.</summary>
    public SnapshotCheck Under(string field) => new(Path(field), _problems);

    public void Fail(string field, string reason) => _problems.Add(new SnapshotProblem(Path(field), reason));

    public bool Present<T>(string field, [NotNullWhen(true)] T? value)
    {
        if (value is null)
        {
            Fail(field, "is required");
            return false;
        }
        return true;
    }

    public void Text(string field, string? value, int maxLength = 256)
    {
        if (Present(field, value) && (string.IsNullOrWhiteSpace(value) || value.Length > maxLength))
        {
            Fail(field, $"must be a non-empty string of at most {maxLength} characters");
        }
    }

    public void OneOf(string field, string? value, IReadOnlyCollection<string> allowed)
    {
        if (Present(field, value) && !allowed.Contains(value))
        {
            Fail(field, $"'{value}' is not one of {string.Join(", ", allowed)}");
        }
    }

    public void Range(string field, long? value, long min, long max)
    {
        if (Present(field, value) && (value < min || value > max))
        {
            Fail(field, $"{value} is outside {min}..{max}");
        }
    }

    public void Items<T>(string field, IReadOnlyList<T?>? items, Action<SnapshotCheck, T> each, int maxCount = 10_000)
        where T : class
    {
        if (!Present(field, items))
        {
            return;
        }
        if (items.Count > maxCount)
        {
            Fail(field, $"has {items.Count} items; at most {maxCount}");
            return;
        }
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is { } item)
            {
                each(Under($"{field}[{i}]"), item);
            }
            else
            {
                Fail($"{field}[{i}]", "must not be null");
            }
        }
    }

    public void Strings(string field, IReadOnlyList<string?>? items, int maxLength = 256)
    {
        if (!Present(field, items))
        {
            return;
        }
        for (var i = 0; i < items.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(items[i]) || items[i]!.Length > maxLength)
            {
                Fail($"{field}[{i}]", $"must be a non-empty string of at most {maxLength} characters");
            }
        }
        var duplicate = items.Where(s => s is not null).GroupBy(s => s, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            Fail(field, $"lists '{duplicate.Key}' more than once");
        }
    }

    private string Path(string field) => _prefix.Length == 0 ? field : field.StartsWith('[') ? _prefix + field : $"{_prefix}.{field}";
}
