using System.Collections.Immutable;
using System.Globalization;
using Azure.Data.Tables;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Storage.Governance;

/// <summary>
/// How a <see cref="TaskRecord"/> lies in its partition: the <c>task</c> row (the guard), <c>requirements</c>,
/// <c>approvals</c>, <c>runbook</c> (its steps), and one row per artifact, runbook pull and runbook outcome, keyed by
/// their index so appends add rows and leave the others untouched. Each row holds JSON in string properties of at most
/// 30,000 characters (Table storage: 64 KiB per property) and at most 15 of them (1 MiB per entity); a longer section
/// continues in rows <c>&lt;key&gt;~001</c>, <c>~002</c>, ….
/// </summary>
internal static class TaskRows
{
    public const string TaskKey = "task";
    public const string VersionProperty = "Version";

    private const string RequirementsKey = "requirements";
    private const string ApprovalsKey = "approvals";
    private const string RunbookKey = "runbook";
    private const string ArtifactPrefix = "artifact-";
    private const string PullPrefix = "runbook-pull-";
    private const string OutcomePrefix = "runbook-outcome-";
    private const char Continuation = '~';
    private const string JsonProperty = "Json";
    private const int CharsPerProperty = 30_000;
    private const int PropertiesPerRow = 15;

    /// <summary>Physical rows of a record: row key → its JSON part (the concatenation of its properties).</summary>
    public static SortedDictionary<string, string> Layout(TaskRecord record)
    {
        var rows = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, json) in Sections(record))
        {
            var pieces = Split(json, CharsPerProperty * PropertiesPerRow);
            if (key == TaskKey && pieces.Count > 1)
            {
                throw new TaskTooLargeException(record.Id, "its task row");
            }

            for (var i = 0; i < pieces.Count; i++)
            {
                rows[i == 0 ? key : $"{key}{Continuation}{i:D3}"] = pieces[i];
            }
        }

        return rows;
    }

    public static TableEntity Entity(string taskId, string rowKey, string content)
    {
        var entity = new TableEntity(taskId, rowKey);
        var i = 0;
        foreach (var part in Split(content, CharsPerProperty))
        {
            entity[i == 0 ? JsonProperty : JsonProperty + i.ToString(CultureInfo.InvariantCulture)] = part;
            i++;
        }

        return entity;
    }

    /// <summary>A row's JSON part, its properties joined in order.</summary>
    public static string Content(TableEntity entity)
    {
        var parts = new List<string>();
        for (var i = 0; entity.GetString(i == 0 ? JsonProperty : JsonProperty + i.ToString(CultureInfo.InvariantCulture)) is { } part; i++)
        {
            parts.Add(part);
        }

        return string.Concat(parts);
    }

    public static TaskRecord Read(IReadOnlyDictionary<string, string> rows)
    {
        var sections = rows
            .GroupBy(r => r.Key.Split(Continuation)[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => string.Concat(g.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Value)), StringComparer.Ordinal);

        string? Section(string key) => sections.GetValueOrDefault(key);
        IEnumerable<T> Indexed<T>(string prefix) => sections
            .Where(s => s.Key.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => GovernanceJson.Deserialize<T>(s.Value));

        var runbook = Section(RunbookKey) is { } steps
            ? GovernanceJson.Deserialize<Runbook>(steps) with
            {
                Pulls = [.. Indexed<LiveStatePull>(PullPrefix)],
                Outcomes = [.. Indexed<RunbookItemOutcome>(OutcomePrefix)],
            }
            : null;
        return new TaskRecord
        {
            Task = GovernanceJson.Deserialize<GovernedTask>(Section(TaskKey) ?? throw new InvalidOperationException("the partition has no task row")),
            Requirements = Section(RequirementsKey) is { } requirements
                ? GovernanceJson.Deserialize<ImmutableArray<EvidenceRequirement>>(requirements)
                : [],
            Artifacts = [.. Indexed<EvidenceArtifact>(ArtifactPrefix)],
            Approvals = Section(ApprovalsKey) is { } approvals ? GovernanceJson.Deserialize<ApprovalGateRecord>(approvals) : null,
            Runbook = runbook,
        };
    }

    private static IEnumerable<(string Key, string Json)> Sections(TaskRecord record)
    {
        yield return (TaskKey, GovernanceJson.Serialize(record.Task));
        yield return (RequirementsKey, GovernanceJson.Serialize(record.Requirements));
        for (var i = 0; i < record.Artifacts.Length; i++)
        {
            yield return ($"{ArtifactPrefix}{i:D6}", GovernanceJson.Serialize(record.Artifacts[i]));
        }

        if (record.Approvals is { } approvals)
        {
            yield return (ApprovalsKey, GovernanceJson.Serialize(approvals));
        }

        if (record.Runbook is { } runbook)
        {
            yield return (RunbookKey, GovernanceJson.Serialize(runbook with { Pulls = [], Outcomes = [] }));
            for (var i = 0; i < runbook.Pulls.Length; i++)
            {
                yield return ($"{PullPrefix}{i:D4}", GovernanceJson.Serialize(runbook.Pulls[i]));
            }

            for (var i = 0; i < runbook.Outcomes.Length; i++)
            {
                yield return ($"{OutcomePrefix}{i:D6}", GovernanceJson.Serialize(runbook.Outcomes[i]));
            }
        }
    }

    /// <summary>
    /// Pieces of at most <paramref name="size"/> characters, never splitting a surrogate pair. (The serializer escapes
    /// non-ASCII, so stored JSON has none; the guard keeps that an optimisation, not a correctness condition.)
    /// </summary>
    private static List<string> Split(string json, int size)
    {
        var pieces = new List<string>();
        var start = 0;
        do
        {
            var length = Math.Min(size, json.Length - start);
            if (start + length < json.Length && char.IsHighSurrogate(json[start + length - 1]))
            {
                length--;
            }

            pieces.Add(json.Substring(start, length));
            start += length;
        }
        while (start < json.Length);

        return pieces;
    }
}
