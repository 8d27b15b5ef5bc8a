using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Panaptico.Connectors.Drift.Snapshots;
using Panaptico.Core.Drift;
using Panaptico.Core.Identity;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Http;
using Panaptico.Storage.Drift;

namespace Panaptico.Functions.Drift;

/// <summary>
/// The drift API: the feed with its counters, one field's history, the implementation graph (read, define, import),
/// the routing policy in force, and change-source records in. Reading takes any role; defining takes operator.
/// Bad input (malformed, unknown connector, oversized) is a problem and stores nothing.
/// </summary>
public sealed class DriftFunctions(
    DriftGraph graphs, SweepStore sweeps, RoutingPolicySource policy, DriftSourceIntake intake, ISnapshotStore snapshots, DriftSettings settings)
{
    [Function("GetDriftFeed")]
    public async Task<IResult> GetFeed(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "drift/feed")] HttpRequest request, CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Access.AnyRole) is { } refused)
        {
            return refused;
        }
        return Results.Json(await FeedAsync(sweeps, cancellationToken));
    }

    /// <summary>The feed: <c>DRIFT-FEED-NNNN</c> (the sweeps so far), the latest sweep's counters, rows by class, newest first.</summary>
    public static async Task<JsonObject> FeedAsync(SweepStore sweeps, CancellationToken cancellationToken)
    {
        var latest = (await sweeps.LatestSweepsAsync(1, cancellationToken)).FirstOrDefault();
        var count = await sweeps.CountSweepsAsync(cancellationToken);
        var rows = await sweeps.FeedAsync(cancellationToken);
        var drifts = rows.SelectMany(r => r.Row["drifts"]!.AsArray().Select(d => (Row: r, Drift: d!))).ToList();
        var classes = new JsonObject();
        foreach (var c in new[] { DriftClass.Critical, DriftClass.Reapproval, DriftClass.Notable, DriftClass.Expected })
        {
            classes[DriftNames.Of(c)] = rows.Count(r => r.Class == DriftNames.Of(c));
        }
        return new JsonObject
        {
            ["id"] = $"DRIFT-FEED-{count:D4}",
            ["sweepId"] = latest?.SweepId,
            ["at"] = latest?.At,
            ["policy"] = latest?.Record["policyVersion"]?.DeepClone(),
            ["graphVersion"] = latest?.Record["graphVersion"]?.DeepClone(),
            ["counters"] = new JsonObject
            {
                ["fieldsChecked"] = latest?.Record["fieldsChecked"]?.GetValue<int>() ?? 0,
                ["drifted"] = drifts.Count,
                ["attributed"] = drifts.Count(d => d.Row.Row["attribution"]?["status"]?.GetValue<string>() == "attributed"),
                ["unknown"] = drifts.Count(d => d.Row.Row["attribution"]?["status"]?.GetValue<string>() == "unknown"),
                ["pending"] = latest?.Record["pending"]?.GetValue<int>() ?? 0,
            },
            ["classes"] = classes,
            ["summary"] = string.Join(" · ", classes.Select(c => $"{c.Value} {c.Key}")),
            ["rows"] = new JsonArray([.. rows.OrderBy(r => Rank(r.Class)).ThenByDescending(r => r.At).Select(r => (JsonNode)Linked(r.Row))]),
        };
    }

    [Function("GetDriftFieldHistory")]
    public async Task<IResult> GetFieldHistory(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "drift/objects/{objectId}/fields/{field}/history")] HttpRequest request,
        string objectId, string field, CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Access.AnyRole) is { } refused)
        {
            return refused;
        }
        (objectId, field) = (Uri.UnescapeDataString(objectId), Uri.UnescapeDataString(field));
        var graph = await graphs.ReadAsync(cancellationToken);
        if (graph.Find(objectId) is not { } obj)
        {
            return Problems.NotFound($"no object '{objectId}' in the implementation graph");
        }
        var history = await sweeps.FieldHistoryAsync(objectId, field, cancellationToken);
        return Results.Json(new JsonObject
        {
            ["objectId"] = objectId,
            ["field"] = field,
            ["intended"] = obj.Fields.TryGetValue(field, out var intended) ? DriftJson.Intended(intended) : null,
            ["events"] = new JsonArray([.. history.Select(h => (JsonNode)new JsonObject { ["id"] = h.EventId, ["at"] = h.At, ["event"] = h.Event.DeepClone() })]),
        });
    }

    [Function("GetDriftGraph")]
    public async Task<IResult> GetGraph(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "drift/graph")] HttpRequest request, CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Access.AnyRole) is { } refused)
        {
            return refused;
        }
        return Results.Json(DriftJson.Graph(await graphs.ReadAsync(cancellationToken)));
    }

    /// <summary>Defines one object (graph document shape); its intended values carry their reasons of record.</summary>
    [Function("PutDriftGraphObject")]
    public async Task<IResult> PutGraphObject(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "drift/graph/objects/{objectId}")] HttpRequest request,
        string objectId, CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }
        objectId = Uri.UnescapeDataString(objectId);
        var (body, problem) = await ReadBodyAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        try
        {
            var node = JsonNode.Parse(body) as JsonObject ?? throw new DriftInputException(DriftCodes.GraphInvalid, ["the body must be one graph object"]);
            if (node["id"]?.GetValue<string>() is { } id && id != objectId)
            {
                return Problems.Invalid($"the body defines '{id}', the route names '{objectId}'");
            }
            node["id"] = objectId;
            var objects = GraphDocument.ParseJson(new JsonObject { ["objects"] = new JsonArray(node.DeepClone()) }.ToJsonString());
            return await DefineAsync(request, objects, cancellationToken);
        }
        catch (DriftInputException e)
        {
            return Problems.Refused(e);
        }
        catch (System.Text.Json.JsonException e)
        {
            return Problems.Invalid($"the body is not JSON: {e.Message}");
        }
    }

    /// <summary>
    /// Imports intent: a graph document (YAML or JSON, by content type or <c>?format=</c>) or a Terraform state v4
    /// (<c>?format=terraform-state&amp;run=&amp;workspace=&amp;scope=&amp;team=&amp;onCall=&amp;approver=</c>), whose
    /// attributes become intended values with the run as their reason.
    /// </summary>
    [Function("ImportDriftGraph")]
    public async Task<IResult> ImportGraph(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "drift/graph/import")] HttpRequest request, CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }
        var (body, problem) = await ReadBodyAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var format = request.Query["format"].FirstOrDefault()
            ?? (request.ContentType?.Contains("yaml", StringComparison.OrdinalIgnoreCase) == true ? "yaml" : "json");
        try
        {
            var objects = format switch
            {
                "yaml" => GraphDocument.ParseYaml(body),
                "json" => GraphDocument.ParseJson(body),
                "terraform-state" => TerraformStateImport.Read(body, TerraformContext(request)),
                _ => throw new DriftInputException(DriftCodes.GraphInvalid, [$"format '{format}' is not yaml, json or terraform-state"]),
            };
            return await DefineAsync(request, objects, cancellationToken);
        }
        catch (DriftInputException e)
        {
            return Problems.Refused(e);
        }
    }

    [Function("GetDriftPolicy")]
    public async Task<IResult> GetPolicy(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "drift/policy")] HttpRequest request)
    {
        if (await request.AuthorizeAsync(Access.AnyRole) is { } refused)
        {
            return refused;
        }
        var json = policy.Policy.ToJson();
        json["name"] = policy.Policy.Name;
        json["version"] = policy.Policy.Version;
        return Results.Json(json);
    }

    /// <summary>A change-source record in its real shape; stored once per source + event id.</summary>
    [Function("PostDriftSource")]
    public async Task<IResult> PostSource(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "drift/sources/{kind}")] HttpRequest request,
        string kind, CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }
        var (body, problem) = await ReadBodyAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var result = await intake.IngestAsync(kind, body, cancellationToken);
        if (result.Problem is { } why)
        {
            return result.Code == "not-found" ? Problems.NotFound(why) : Problems.Invalid(why, new JsonObject { ["driftCode"] = DriftCodes.SourceMalformed });
        }
        return Results.Json(new JsonObject { ["kind"] = kind, ["events"] = result.Events, ["stored"] = result.Stored },
            statusCode: result.Stored > 0 ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    /// <summary>
    /// State pushed for a system we do not read directly (CrowdStrike, Okta, Snowflake, AWS KMS, Datadog, Vault,
    /// Workday): validated against its typed schema by the snapshot connector, refused whole when malformed, kept once
    /// per snapshot id; the next sweep reads it as the object's live state.
    /// </summary>
    [Function("PostDriftSnapshot")]
    public async Task<IResult> PostSnapshot(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "drift/snapshots/{objectId}")] HttpRequest request,
        string objectId, CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }
        objectId = Uri.UnescapeDataString(objectId);
        var (body, problem) = await ReadBodyAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        Snapshot snapshot;
        try
        {
            snapshot = SnapshotSchemas.Parse(body);
        }
        catch (SnapshotInvalidException e)
        {
            return Problems.Invalid(e.Message, new JsonObject
            {
                ["driftCode"] = SnapshotInvalidException.InvalidCode,
                ["problems"] = new JsonArray([.. e.Problems.Select(p => (JsonNode?)new JsonObject { ["field"] = p.Field, ["reason"] = p.Reason })]),
            });
        }
        if (snapshot.ObjectId != objectId)
        {
            return Problems.Invalid($"the snapshot is of '{snapshot.ObjectId}', the route names '{objectId}'");
        }
        if ((await graphs.ReadAsync(cancellationToken)).Find(objectId) is not { } obj)
        {
            return Problems.NotFound($"no object '{objectId}' in the implementation graph: define its intent first");
        }
        if (obj.Connector != SnapshotDriftConnector.ConnectorKind)
        {
            return Problems.Invalid($"'{objectId}' is read by the {obj.Connector} connector, not pushed as snapshots");
        }
        try
        {
            var stored = await snapshots.PutAsync(snapshot, cancellationToken);
            return Results.Json(new JsonObject
            {
                ["snapshotId"] = snapshot.SnapshotId,
                ["objectId"] = objectId,
                ["latest"] = stored.IsLatest,
            }, statusCode: stored.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        }
        catch (SnapshotConflictException e)
        {
            return Problems.Conflict(e.Message, new JsonObject { ["driftCode"] = SnapshotConflictException.ConflictCode });
        }
    }

    private async Task<IResult> DefineAsync(HttpRequest request, IReadOnlyList<GraphObject> objects, CancellationToken cancellationToken)
    {
        if (objects.Count == 0)
        {
            return Problems.Invalid("the document defines no objects");
        }
        var caller = request.HttpContext.Caller();
        var reason = objects.SelectMany(o => o.Fields.Values).Select(v => v.Reason).FirstOrDefault()
            ?? new ReasonOfRecord(ReasonKind.ChangeRecord, $"api:{caller.Id}");
        long? expected = request.Headers.IfMatch.FirstOrDefault() is { } ifMatch && long.TryParse(ifMatch.Trim('"'), out var v) ? v : null;
        var graph = await graphs.ApplyAsync($"api/{Guid.NewGuid():N}", new IntentChange(reason) { Define = [.. objects] }, caller.Id, expected, cancellationToken);
        request.HttpContext.Response.Headers.ETag = $"\"{graph.Version}\"";
        return Results.Json(new JsonObject
        {
            ["version"] = graph.Version,
            ["defined"] = new JsonArray([.. objects.Select(o => (JsonNode)o.Id)]),
        });
    }

    private static TerraformImportContext TerraformContext(HttpRequest request)
    {
        string Need(string name) => request.Query[name].FirstOrDefault() is { Length: > 0 } value
            ? value
            : throw new DriftInputException(DriftCodes.TerraformStateInvalid, [$"a Terraform state import needs ?{name}="]);
        return new TerraformImportContext(
            new ReasonOfRecord(ReasonKind.TerraformRun, Need("run")), Need("workspace"), Need("scope"),
            new ObjectOwner(Need("team"), Need("onCall"), Need("approver")));
    }

    /// <summary>The body as text, refused with 413 over <c>Drift:MaxBodyBytes</c> (declared or streamed).</summary>
    /// <summary>The body through the one body reader, at most <c>Drift:MaxBodyBytes</c> (graph imports are YAML too).</summary>
    private async Task<(string Body, IResult? Problem)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (bytes, tooLarge) = await RequestBody.ReadBytesAsync(request, (int)Math.Min(settings.MaxBodyBytes, int.MaxValue), cancellationToken);
        if (bytes is null)
        {
            return ("", tooLarge);
        }
        return bytes.ToMemory().IsEmpty ? ("", Problems.Invalid("the body is empty")) : (bytes.ToString(), null);
    }

    private static int Rank(string @class) => @class switch { "critical" => 0, "reapproval" => 1, "notable" => 2, _ => 3 };

    /// <summary>A feed row with links to each drift's intent (the graph object) and its field history.</summary>
    private static JsonObject Linked(JsonObject row)
    {
        var linked = (JsonObject)row.DeepClone();
        foreach (var drift in linked["drifts"]!.AsArray().OfType<JsonObject>())
        {
            var (o, f) = (Uri.EscapeDataString(drift["object"]!.GetValue<string>()), Uri.EscapeDataString(drift["field"]!.GetValue<string>()));
            drift["links"] = new JsonObject
            {
                ["intent"] = $"/api/drift/graph#{o}",
                ["history"] = $"/api/drift/objects/{o}/fields/{f}/history",
            };
        }
        return linked;
    }
}
