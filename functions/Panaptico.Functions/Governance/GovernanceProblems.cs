using System.Text.Json.Nodes;
using Panaptico.Core.Governance;

namespace Panaptico.Functions.Governance;

/// <summary>Every refusal as application/problem+json: its status, its words, and its data as extension members.</summary>
public static class GovernanceProblems
{
    public static int Status(RefusalCode code) => code switch
    {
        RefusalCode.Invalid => StatusCodes.Status400BadRequest,
        RefusalCode.Forbidden or RefusalCode.SegregationOfDuties => StatusCodes.Status403Forbidden,
        RefusalCode.NotFound => StatusCodes.Status404NotFound,
        _ => StatusCodes.Status409Conflict,
    };

    public static IResult Problem(Refusal refusal)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = Code(refusal.Code) };
        foreach (var (name, value) in refusal.Data ?? [])
        {
            extensions[name] = value?.DeepClone();
        }

        return Results.Problem(
            statusCode: Status(refusal.Code),
            title: Title(refusal.Code),
            detail: refusal.Message,
            type: $"https://panaptico.dev/problems/{Code(refusal.Code)}",
            extensions: extensions);
    }

    public static IResult Problem(int status, string title, string detail, JsonObject? data = null)
    {
        var extensions = new Dictionary<string, object?>();
        foreach (var (name, value) in data ?? [])
        {
            extensions[name] = value?.DeepClone();
        }

        return Results.Problem(statusCode: status, title: title, detail: detail, extensions: extensions);
    }

    public static Refusal NoTask(string taskId) => Decision.Refuse(RefusalCode.NotFound, $"task {taskId} does not exist");

    private static string Title(RefusalCode code) => code switch
    {
        RefusalCode.Invalid => "Invalid request",
        RefusalCode.Forbidden => "Not allowed",
        RefusalCode.SegregationOfDuties => "Segregation of duties",
        RefusalCode.NotFound => "Not found",
        RefusalCode.GateOpen => "Completion locked",
        RefusalCode.Cycle => "Dependency cycle",
        RefusalCode.Expired => "Approval seat expired",
        RefusalCode.StaleContext => "Context pack changed",
        _ => "Conflict",
    };

    private static string Code(RefusalCode code) => code switch
    {
        RefusalCode.SegregationOfDuties => "segregation-of-duties",
        RefusalCode.GateOpen => "gate-open",
        RefusalCode.StaleContext => "stale-context",
        RefusalCode.NotFound => "not-found",
        _ => code.ToString().ToLowerInvariant(),
    };
}
