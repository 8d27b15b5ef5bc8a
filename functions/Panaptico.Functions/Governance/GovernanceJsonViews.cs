using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Panaptico.Core.Evidence;

namespace Panaptico.Functions.Governance;

/// <summary>What the governance API answers: the domain's views as JSON, enums by name, durations in ISO 8601.</summary>
public static class GovernanceJsonViews
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(), new Iso8601DurationConverter() },
    };

    public static JsonNode? Node<T>(T value) => JsonSerializer.SerializeToNode(value, Options);

    /// <summary>
    /// The task page: every gate with its progress ("2 / 3 captured", "1 / 2 signed", "3 / 3 cleared"), the work blocked
    /// downstream, the completion lock in words and data, and the record's own facts (seal, closure, every artifact,
    /// the context pack approvers sign).
    /// </summary>
    public static JsonObject Task(TaskPage page)
    {
        var (stored, view) = (page.Stored, page.View);
        var task = stored.Record.Task;
        var json = Node(view)!.AsObject();
        var completion = view.Completion.ToJson();
        completion["locked"] = view.Completion.IsLocked;
        json["completion"] = completion;
        json["requesterId"] = task.RequesterId;
        json["upstreamIds"] = Node(task.UpstreamIds);
        json["pendingUpstreamIds"] = Node(task.PendingUpstreamIds);
        json["parent"] = Node(task.Parent);
        json["seal"] = Node(task.Seal);
        json["closure"] = Node(task.Closure);
        json["artifacts"] = Node(stored.Record.Artifacts);
        json["runbookOutcomes"] = Node(stored.Record.Runbook?.Outcomes);
        json["contextPack"] = stored.Record.Approvals?.ContextPack.ToJson();
        json["rulesVersion"] = stored.Record.Approvals?.RulesVersion;
        json["createdAt"] = Node(task.CreatedAt);
        json["updatedAt"] = Node(task.UpdatedAt);
        json["version"] = stored.Version;
        return json;
    }

    public static JsonObject Plan(PlanPage page) => new()
    {
        ["id"] = page.Plan.Id,
        ["title"] = page.Plan.Title,
        ["ownerId"] = page.Plan.OwnerId,
        ["createdAt"] = Node(page.Plan.CreatedAt),
        ["waves"] = new JsonArray([.. page.Plan.Waves.Select(wave =>
        {
            var exit = page.Waves.First(w => w.WaveId == wave.Id);
            return (JsonNode)new JsonObject
            {
                ["id"] = wave.Id,
                ["number"] = wave.Number,
                ["title"] = wave.Title,
                ["exit"] = new JsonObject
                {
                    ["progress"] = exit.Progress,
                    ["isClear"] = exit.IsClear,
                    ["waiting"] = Node(exit.Waiting),
                    ["closedWithoutSeal"] = Node(exit.ClosedWithoutSeal),
                    ["seals"] = Node(exit.Seals),
                },
            };
        })]),
    };

    public static JsonObject Bundle(SealedBundle bundle) => new()
    {
        ["digest"] = bundle.Digest,
        ["subject"] = Node(bundle.Manifest.Subject),
        ["sealedAt"] = Node(bundle.Manifest.SealedAt),
        ["signer"] = Node(bundle.Manifest.Signer),
        ["immutability"] = Node(bundle.Manifest.Immutability),
        ["artifacts"] = bundle.Manifest.Artifacts.Count,
    };
}
