using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Functions.Governance;

// The request bodies of the governance API, read by Http/RequestBody (its size limit, strict binding and text limits).
// Required members are constructor parameters without defaults; the reader refuses a body that misses one, carries null
// where a value is required, or names a member not listed here.

public sealed record CreatePlanBody(string Id, string Title, IReadOnlyList<WaveBody> Waves);

public sealed record WaveBody(string Id, int Number, string Title);

public sealed record CreateTaskBody(
    string Id,
    string PlanId,
    string WaveId,
    string Title,
    string OwnerId,
    IReadOnlyList<RequirementBody> Requirements,
    IReadOnlyList<string>? UpstreamIds = null,
    IReadOnlyList<RunbookStepBody>? Runbook = null)
{
    public NewTask ToNewTask() => new(Id, PlanId, WaveId, Title, OwnerId)
    {
        UpstreamIds = [.. UpstreamIds ?? []],
        Requirements = [.. Requirements.Select(r => r.ToRequirement())],
        RunbookSteps = [.. (Runbook ?? []).Select(s => s.ToStep())],
    };
}

public sealed record RequirementBody(string Id, string Title, EvidenceKind Kind, CheckBody? Check = null, WindowBody? Window = null)
{
    public EvidenceRequirement ToRequirement() => new(Id, Title, Kind)
    {
        Check = Check?.ToCheck(),
        Window = Window is null ? null : new TelemetryWindowSpec(Window.Duration, Window.Metric, Window.MaxValue, Window.MaxSampleGap),
    };
}

public sealed record CheckBody(
    ArtifactFormat Format = ArtifactFormat.JsonLines,
    int? ExpectedRows = null,
    int? MinRows = null,
    IReadOnlyList<string>? RequiredFields = null,
    IReadOnlyDictionary<string, string>? FieldEquals = null,
    string? RowsEqualRequirementId = null,
    string? Unit = null)
{
    public EvidenceCheck ToCheck() => new()
    {
        Format = Format,
        ExpectedRows = ExpectedRows,
        MinRows = MinRows,
        RequiredFields = [.. RequiredFields ?? []],
        FieldEquals = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, FieldEquals ?? new Dictionary<string, string>()),
        RowsEqualRequirementId = RowsEqualRequirementId,
        Unit = Unit ?? "rows",
    };
}

/// <param name="Duration">ISO 8601, e.g. PT48H.</param>
/// <param name="MaxSampleGap">ISO 8601, e.g. PT1H.</param>
public sealed record WindowBody(
    [property: JsonConverter(typeof(Iso8601DurationConverter))] TimeSpan Duration,
    string Metric,
    double MaxValue,
    [property: JsonConverter(typeof(Iso8601DurationConverter))] TimeSpan MaxSampleGap);

public sealed record RunbookStepBody(
    int Number,
    string Title,
    string Instruction,
    string Check,
    string ExpectedText,
    IReadOnlyDictionary<string, string>? Expected = null,
    string? Connector = null,
    string? OwnerId = null)
{
    public RunbookStep ToStep() => new(Number, Title, Instruction, Check, ExpectedText)
    {
        Expected = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, Expected ?? new Dictionary<string, string>()),
        Connector = Connector,
        OwnerId = OwnerId,
    };
}

public enum TaskAction
{
    Ready,
    Start,
    Hold,
    Resume,
    Cancel,
}

public sealed record TransitionBody(TaskAction Action, string Reason);

public sealed record DependencyBody(string UpstreamId, string Reason);

public sealed record RouteBody(AttributesBody Attributes, ContextPackBody ContextPack);

public sealed record AttributesBody(
    string Domain,
    IReadOnlyList<string>? Tags = null,
    IReadOnlyList<string>? ChangeKinds = null,
    IReadOnlyList<string>? Controls = null,
    int ProductionSystemsTouched = 0)
{
    public ChangeAttributes ToAttributes() => new(Domain)
    {
        Tags = [.. Tags ?? []],
        ChangeKinds = [.. ChangeKinds ?? []],
        Controls = [.. Controls ?? []],
        ProductionSystemsTouched = ProductionSystemsTouched,
    };
}

public sealed record ContextPackBody(string Impact, string WorkloadDiff, ChangeWindowBody ChangeWindow, string PostureScope, string ReversalTrigger)
{
    public ContextPack ToContextPack() =>
        new(Impact, WorkloadDiff, new ChangeWindow(ChangeWindow.Start, ChangeWindow.End), PostureScope, ReversalTrigger);
}

public sealed record ChangeWindowBody(DateTimeOffset Start, DateTimeOffset End);

public enum Verdict
{
    Approve,
    Deny,
}

/// <param name="ContextPackSha256">The hash of the context pack the approver reviewed (from the task view).</param>
public sealed record SignBody(Verdict Verdict, string Rationale, string ContextPackSha256);

public sealed record ReviseContextPackBody(ContextPackBody ContextPack, string Reason);

/// <param name="StartedAt">When the bake started; default now.</param>
public sealed record WindowStartBody(string Reason, DateTimeOffset? StartedAt = null);

/// <param name="PulledAt">When the connector read the state; default now.</param>
public sealed record LiveStateBody(string Connector, IReadOnlyList<LiveItemBody> Items, DateTimeOffset? PulledAt = null)
{
    public IReadOnlyList<LiveStateItem> ToItems() =>
        [.. Items.Select(i => new LiveStateItem(i.ItemId, ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, i.Observed)))];
}

public sealed record LiveItemBody(string ItemId, IReadOnlyDictionary<string, string> Observed);

public sealed record OutcomeBody(string ItemId, RunbookResult Result, string? Note = null);

/// <summary>Durations as people write them in rules and requests: ISO 8601 (PT48H, P3D).</summary>
public sealed class Iso8601DurationConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        try
        {
            return XmlConvert.ToTimeSpan(text ?? throw new FormatException());
        }
        catch (FormatException)
        {
            throw new JsonException($"'{text}' is not an ISO 8601 duration (e.g. PT48H, P3D)");
        }
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(XmlConvert.ToString(value));
}
