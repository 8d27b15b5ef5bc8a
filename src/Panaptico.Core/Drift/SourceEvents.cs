using System.Collections.Immutable;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Panaptico.Core.Drift;

/// <summary>
/// Parses each change source in its real shape into <see cref="SourceEvent"/>s. A payload may hold one record or a
/// page of them (<c>value</c>, <c>Records</c>, <c>records</c>, <c>data</c>, <c>patches</c>, or a JSON array). Malformed
/// input is refused whole with <see cref="DriftCodes.SourceMalformed"/> and the JSON path of every problem.
/// </summary>
public static partial class SourceEvents
{
    /// <exception cref="DriftInputException">The payload is not in <paramref name="kind"/>'s shape.</exception>
    public static ImmutableArray<SourceEvent> Parse(SourceKind kind, string json)
    {
        var doc = DriftDocument.Json(json, DriftCodes.SourceMalformed);
        var events = ImmutableArray.CreateBuilder<SourceEvent>();
        if (kind == SourceKind.TerraformRun)
        {
            events.AddRange(TerraformRuns(doc));
        }
        else
        {
            foreach (var (record, path) in Records(doc))
            {
                var parsed = kind switch
                {
                    SourceKind.ChangeRecord => ChangeRecord(doc, record, path),
                    SourceKind.VendorPatch => VendorPatch(doc, record, path),
                    SourceKind.ScimSync => DirectoryAudit(doc, record, path, SourceKind.ScimSync),
                    SourceKind.EntraAudit => DirectoryAudit(doc, record, path, SourceKind.EntraAudit),
                    SourceKind.ResourceGraph => ResourceChange(doc, record, path),
                    SourceKind.ActivityLog => record?["eventType"] is not null ? ResourceWriteEvent(doc, record, path) : ActivityLog(doc, record, path),
                    SourceKind.CloudTrail => CloudTrail(doc, record, path),
                    _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
                };
                if (parsed is not null)
                {
                    events.Add(parsed);
                }
            }
        }

        doc.ThrowIfProblems(DriftCodes.SourceMalformed);
        if (events.Count == 0)
        {
            throw new DriftInputException(DriftCodes.SourceMalformed, [$"$: no {DriftNames.Of(kind)} record in the payload"]);
        }

        return events.ToImmutable();
    }

    /// <summary>The records of a payload: a JSON array, a page (value/Records/records/data/patches), or one record.</summary>
    private static IEnumerable<(JsonObject? Record, string Path)> Records(DriftDocument doc)
    {
        var root = doc.Root;
        if (root is JsonObject page)
        {
            foreach (var name in new[] { "value", "Records", "records", "data", "patches" })
            {
                if (page[name] is JsonArray items)
                {
                    return items.Select((item, i) => (doc.Object(item, $"$.{name}[{i}]"), $"$.{name}[{i}]"));
                }
            }

            return [(page, "$")];
        }

        if (root is JsonArray array)
        {
            return array.Select((item, i) => (doc.Object(item, $"$[{i}]"), $"$[{i}]"));
        }

        doc.Problem("$", "must be a JSON object or array");
        return [];
    }

    /// <summary>
    /// Our change records: <c>ChangeRecord.ToJson()</c> (id, asset, owner, detected) or a ticket
    /// (<c>id, title, owner, objects[], fields[], window {start, end}</c>). Only records that name an object can explain drift.
    /// </summary>
    private static SourceEvent? ChangeRecord(DriftDocument doc, JsonObject? r, string path)
    {
        if (r is null)
        {
            return null;
        }

        var id = doc.String(r, "id", path);
        var window = doc.Object(r["window"], $"{path}.window", required: false);
        var start = window is null ? doc.Time(r, "detected", path) : doc.Time(window, "start", $"{path}.window");
        var end = window is null ? start : doc.Time(window, "end", $"{path}.window");
        var objects = doc.Strings(r, "objects", path).ToList();
        if (doc.String(r, "asset", path, required: false) is { } asset)
        {
            objects.Insert(0, asset);
        }

        if (objects.Count == 0)
        {
            doc.Problem($"{path}.objects", "a change record must name the objects it changes (asset or objects)");
        }

        if (start is { } s && end is { } e && e < s)
        {
            doc.Problem($"{path}.window.end", "is before window.start");
        }

        if (id is null || start is null || end is null)
        {
            return null;
        }

        var title = doc.String(r, "title", path, required: false) ?? (r["violation"] as JsonObject)?["title"]?.GetValue<string>();
        return new SourceEvent(SourceKind.ChangeRecord, id, start.Value)
        {
            Objects = [.. objects],
            Actor = doc.String(r, "actor", path, required: false),
            CorrelationId = id,
            Fields = [.. doc.Strings(r, "fields", path)],
            WindowStart = start,
            WindowEnd = end,
            Succeeded = doc.String(r, "status", path, required: false) is not ("cancelled" or "failed" or "rolled-back"),
            Details = Details((SourceDetail.Ticket, id), (SourceDetail.Owner, doc.String(r, "owner", path, required: false)), (SourceDetail.Title, title)),
        };
    }

    /// <summary>
    /// The vendor patch feed (our documented shape): <c>{ "vendor", "id", "title", "release", "appliedAt",
    /// "scheduledStart", "scheduledEnd", "objects": [...], "fields": [...] }</c>, one record or <c>{ "patches": [...] }</c>.
    /// </summary>
    private static SourceEvent? VendorPatch(DriftDocument doc, JsonObject? r, string path)
    {
        if (r is null)
        {
            return null;
        }

        doc.OnlyKnown(r, path, "vendor", "id", "title", "release", "appliedAt", "scheduledStart", "scheduledEnd", "objects", "fields");
        var vendor = doc.String(r, "vendor", path);
        var id = doc.String(r, "id", path);
        var applied = doc.Time(r, "appliedAt", path, required: r["scheduledStart"] is null);
        var scheduledStart = doc.Time(r, "scheduledStart", path, required: false);
        var scheduledEnd = doc.Time(r, "scheduledEnd", path, required: false);
        var objects = doc.Strings(r, "objects", path);
        if (objects.Count == 0)
        {
            doc.Problem($"{path}.objects", "is required: the objects the patch changes");
        }

        if (vendor is null || id is null || (applied ?? scheduledStart) is not { } at)
        {
            return null;
        }

        return new SourceEvent(SourceKind.VendorPatch, id, at)
        {
            Objects = [.. objects],
            Actor = vendor,
            ActorName = vendor,
            Fields = [.. doc.Strings(r, "fields", path)],
            WindowStart = scheduledStart,
            WindowEnd = scheduledEnd,
            Workspace = vendor,
            Details = Details((SourceDetail.Vendor, vendor), (SourceDetail.Release, doc.String(r, "release", path, required: false)), (SourceDetail.Title, doc.String(r, "title", path, required: false))),
        };
    }

    /// <summary>Microsoft Entra <c>directoryAudits</c> (Graph); a SCIM sync is one logged for the provisioning app.</summary>
    private static SourceEvent? DirectoryAudit(DriftDocument doc, JsonObject? r, string path, SourceKind kind)
    {
        if (r is null)
        {
            return null;
        }

        var id = doc.String(r, "id", path);
        var at = doc.Time(r, "activityDateTime", path);
        var initiatedBy = doc.Object(r["initiatedBy"], $"{path}.initiatedBy");
        var user = doc.Object(initiatedBy?["user"], $"{path}.initiatedBy.user", required: false);
        var app = doc.Object(initiatedBy?["app"], $"{path}.initiatedBy.app", required: false);
        if (initiatedBy is not null && user is null && app is null)
        {
            doc.Problem($"{path}.initiatedBy", "names neither a user nor an app");
        }

        if (kind == SourceKind.ScimSync && initiatedBy is not null && app is null)
        {
            doc.Problem($"{path}.initiatedBy.app", "a provisioning sync is initiated by the provisioning app");
        }

        var objects = new List<string>();
        var fields = new List<string>();
        foreach (var (target, i) in (doc.Array(r["targetResources"], $"{path}.targetResources") ?? []).Select((t, i) => (t, i)))
        {
            var tpath = $"{path}.targetResources[{i}]";
            var t = doc.Object(target, tpath);
            if (doc.String(t, "id", tpath, required: false) is { } targetId)
            {
                objects.Add(targetId);
            }

            if (doc.String(t, "displayName", tpath, required: false) is { } name)
            {
                objects.Add(name);
            }

            foreach (var (property, p) in (doc.Array(t?["modifiedProperties"], $"{tpath}.modifiedProperties", required: false) ?? []).Select((m, p) => (m, p)))
            {
                if (doc.String(doc.Object(property, $"{tpath}.modifiedProperties[{p}]"), "displayName", $"{tpath}.modifiedProperties[{p}]") is { } field)
                {
                    fields.Add(field);
                }
            }
        }

        if (objects.Count == 0)
        {
            doc.Problem($"{path}.targetResources", "names no target resource");
        }

        if (id is null || at is null)
        {
            return null;
        }

        var upn = doc.String(user, "userPrincipalName", $"{path}.initiatedBy.user", required: false);
        return new SourceEvent(kind, id, at.Value)
        {
            Objects = [.. objects],
            Actor = upn ?? doc.String(user, "id", $"{path}.initiatedBy.user", required: false) ?? doc.String(app, "appId", $"{path}.initiatedBy.app", required: false) ?? doc.String(app, "servicePrincipalId", $"{path}.initiatedBy.app", required: false),
            ActorName = upn ?? doc.String(app, "displayName", $"{path}.initiatedBy.app", required: false),
            CorrelationId = doc.String(r, "correlationId", path, required: false),
            Fields = [.. fields],
            Succeeded = doc.String(r, "result", path, required: false) is null or "success",
            Details = Details(
                (SourceDetail.Operation, doc.String(r, "activityDisplayName", path, required: false)),
                (SourceDetail.Category, doc.String(r, "category", path, required: false)),
                (SourceDetail.ClientType, doc.String(r, "loggedByService", path, required: false)),
                (SourceDetail.IpAddress, doc.String(user, "ipAddress", $"{path}.initiatedBy.user", required: false))),
        };
    }

    /// <summary>Azure Resource Graph <c>resourcechanges</c>: the target, who changed it through which client, and each property changed.</summary>
    private static SourceEvent? ResourceChange(DriftDocument doc, JsonObject? r, string path)
    {
        if (r is null)
        {
            return null;
        }

        var target = doc.String(r, "targetResourceId", path);
        var attributes = doc.Object(r["changeAttributes"], $"{path}.changeAttributes");
        var apath = $"{path}.changeAttributes";
        var at = doc.Time(attributes, "timestamp", apath);
        var changes = doc.Object(r["changes"], $"{path}.changes", required: false);
        var categories = (changes ?? []).Select(c => (c.Value as JsonObject)?["changeCategory"]?.GetValue<string>()).ToList();
        var changedByType = doc.String(attributes, "changedByType", apath, required: false);
        var system = changedByType == "System" || (categories.Count > 0 && categories.All(c => c == "System"));
        if (target is null || at is null)
        {
            return null;
        }

        var id = doc.String(r, "changeId", path, required: false) ?? doc.String(r, "id", path, required: false)
            ?? doc.String(attributes, "newResourceSnapshotId", apath, required: false) ?? $"{target}@{DriftJson.Time(at.Value)}";
        return new SourceEvent(SourceKind.ResourceGraph, id, at.Value)
        {
            Objects = [target],
            Actor = doc.String(attributes, "changedBy", apath, required: false),
            CorrelationId = doc.String(attributes, "correlationId", apath, required: false),
            Fields = [.. (changes ?? []).Select(c => c.Key)],
            Details = Details(
                (SourceDetail.ChangeType, doc.String(r, "changeType", path, required: false)),
                (SourceDetail.ClientType, doc.String(attributes, "clientType", apath, required: false)),
                (SourceDetail.Operation, doc.String(attributes, "operation", apath, required: false)),
                (SourceDetail.Category, system ? "System" : "User")),
        };
    }

    /// <summary>An Activity Log record (Administrative): caller, claims, correlation id, operation, status, resource.</summary>
    private static SourceEvent? ActivityLog(DriftDocument doc, JsonObject? r, string path)
    {
        if (r is null)
        {
            return null;
        }

        var at = doc.Time(r, "eventTimestamp", path);
        var resource = doc.String(r, "resourceId", path);
        var claims = doc.Object(r["claims"], $"{path}.claims", required: false);
        var upn = doc.String(claims, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", $"{path}.claims", required: false);
        var caller = doc.String(r, "caller", path, required: false) ?? upn ?? doc.String(claims, "appid", $"{path}.claims", required: false);
        var operation = Value(doc, r, "operationName", path);
        var status = Value(doc, r, "status", path);
        var id = doc.String(r, "eventDataId", path, required: false) ?? doc.String(r, "id", path, required: false);
        if (id is null && r["eventDataId"] is null && r["id"] is null)
        {
            doc.Problem($"{path}.eventDataId", "is required");
        }

        if (at is null || resource is null || id is null)
        {
            return null;
        }

        var http = r["httpRequest"] as JsonObject;
        return new SourceEvent(SourceKind.ActivityLog, id, at.Value)
        {
            Objects = [resource],
            Actor = caller,
            ActorName = upn ?? caller,
            CorrelationId = doc.String(r, "correlationId", path, required: false),
            Succeeded = status is null or "Succeeded",
            Details = Details(
                (SourceDetail.Operation, operation),
                (SourceDetail.Status, status),
                (SourceDetail.IpAddress, doc.String(http, "clientIpAddress", $"{path}.httpRequest", required: false) ?? doc.String(claims, "ipaddr", $"{path}.claims", required: false))),
        };
    }

    /// <summary>Event Grid <c>Microsoft.Resources.ResourceWrite*</c> (EventGrid schema): the same operation the Activity Log records, pushed.</summary>
    private static SourceEvent? ResourceWriteEvent(DriftDocument doc, JsonObject r, string path)
    {
        var type = doc.String(r, "eventType", path);
        if (type is not null && !type.StartsWith("Microsoft.Resources.Resource", StringComparison.Ordinal))
        {
            doc.Problem($"{path}.eventType", $"'{type}' is not a Microsoft.Resources resource event");
        }

        var id = doc.String(r, "id", path);
        var at = doc.Time(r, "eventTime", path);
        var data = doc.Object(r["data"], $"{path}.data");
        var claims = doc.Object(data?["claims"], $"{path}.data.claims", required: false);
        var upn = doc.String(claims, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", $"{path}.data.claims", required: false);
        var resource = doc.String(data, "resourceUri", $"{path}.data", required: false) ?? doc.String(r, "subject", path);
        if (id is null || at is null || resource is null)
        {
            return null;
        }

        return new SourceEvent(SourceKind.ActivityLog, id, at.Value)
        {
            Objects = [resource],
            Actor = upn ?? doc.String(claims, "appid", $"{path}.data.claims", required: false),
            ActorName = upn,
            CorrelationId = doc.String(data, "correlationId", $"{path}.data", required: false),
            Succeeded = type?.EndsWith("Success", StringComparison.Ordinal) == true,
            Details = Details((SourceDetail.Operation, doc.String(data, "operationName", $"{path}.data", required: false)), (SourceDetail.Status, doc.String(data, "status", $"{path}.data", required: false)), (SourceDetail.EventType, type)),
        };
    }

    /// <summary>
    /// AWS CloudTrail: a person (IAMUser), an assumed role or SSO session (the human is in the session issuer and the
    /// session name), or the vendor itself (<c>AwsServiceEvent</c>, e.g. RotateKey, invoked by "AWS Internal").
    /// </summary>
    private static SourceEvent? CloudTrail(DriftDocument doc, JsonObject? r, string path)
    {
        if (r is null)
        {
            return null;
        }

        var at = doc.Time(r, "eventTime", path);
        var name = doc.String(r, "eventName", path);
        var identity = doc.Object(r["userIdentity"], $"{path}.userIdentity");
        var ipath = $"{path}.userIdentity";
        var eventType = doc.String(r, "eventType", path, required: false);
        var arn = doc.String(identity, "arn", ipath, required: false);
        var invokedBy = doc.String(identity, "invokedBy", ipath, required: false);
        var issuer = (identity?["sessionContext"] as JsonObject)?["sessionIssuer"] as JsonObject;
        string? actor, actorName;
        if (doc.String(identity, "type", ipath, required: false) == "AssumedRole" || issuer is not null)
        {
            // arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com → the role, and the session's person.
            actor = doc.String(issuer, "arn", $"{ipath}.sessionContext.sessionIssuer", required: false) ?? arn;
            actorName = arn is not null && arn.Contains(":assumed-role/", StringComparison.Ordinal) ? arn[(arn.LastIndexOf('/') + 1)..] : doc.String(issuer, "userName", $"{ipath}.sessionContext.sessionIssuer", required: false);
        }
        else
        {
            actor = arn ?? invokedBy ?? doc.String(identity, "principalId", ipath, required: false);
            actorName = doc.String(identity, "userName", ipath, required: false) ?? invokedBy;
        }

        if (identity is not null && actor is null)
        {
            doc.Problem(ipath, "names no identity (arn, invokedBy, principalId or sessionIssuer)");
        }

        var objects = new List<string>();
        foreach (var holder in new[] { r["requestParameters"], r["additionalEventData"], r["serviceEventDetails"] }.OfType<JsonObject>())
        {
            foreach (var key in new[] { "keyId", "bucketName", "roleName", "userName", "groupName", "functionName" })
            {
                if (holder[key] is JsonValue v && v.TryGetValue<string>(out var s))
                {
                    objects.Add(s);
                }
            }
        }

        foreach (var resource in (r["resources"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if ((resource["ARN"] ?? resource["arn"]) is JsonValue v && v.TryGetValue<string>(out var resourceArn))
            {
                objects.Add(resourceArn);
                if (resourceArn.Contains(":key/", StringComparison.Ordinal))
                {
                    objects.Add(resourceArn[(resourceArn.LastIndexOf('/') + 1)..]);
                }
            }
        }

        if (at is null || name is null || actor is null)
        {
            return null;
        }

        var id = doc.String(r, "eventID", path, required: false) ?? $"{name}@{DriftJson.Time(at.Value)}";
        var readOnly = r["readOnly"] is JsonValue ro && ro.TryGetValue<bool>(out var b) && b;
        return new SourceEvent(SourceKind.CloudTrail, id, at.Value)
        {
            Objects = [.. objects.Distinct(StringComparer.Ordinal)],
            Actor = actor,
            ActorName = actorName,
            Succeeded = !readOnly && r["errorCode"] is null,
            Details = Details(
                (SourceDetail.Operation, name),
                (SourceDetail.EventType, eventType),
                (SourceDetail.Vendor, eventType == "AwsServiceEvent" ? "aws" : null),
                (SourceDetail.RotationType, (r["serviceEventDetails"] as JsonObject)?["rotationType"]?.GetValue<string>()),
                (SourceDetail.IpAddress, doc.String(r, "sourceIPAddress", path, required: false))),
        };
    }

    /// <summary>
    /// Terraform Cloud runs, JSON:API (<c>GET /api/v2/runs/{id}?include=created_by,configuration_version.ingress_attributes</c>):
    /// the run in <c>data</c> (one or a list), the workspace, user, configuration version and ingress attributes in <c>included</c>.
    /// </summary>
    private static IEnumerable<SourceEvent> TerraformRuns(DriftDocument doc)
    {
        var root = doc.Object(doc.Root, "$");
        var included = new Dictionary<(string Type, string Id), JsonObject>();
        foreach (var (item, i) in (doc.Array(root?["included"], "$.included", required: false) ?? []).Select((n, i) => (n, i)))
        {
            var o = doc.Object(item, $"$.included[{i}]");
            if (doc.String(o, "type", $"$.included[{i}]") is { } type && doc.String(o, "id", $"$.included[{i}]") is { } id)
            {
                included[(type, id)] = o!;
            }
        }

        var data = root?["data"];
        var runs = data is JsonArray list ? list.Select((n, i) => (n, $"$.data[{i}]")) : [(data, "$.data")];
        foreach (var (node, path) in runs)
        {
            if (TerraformRun(doc, doc.Object(node, path), path, included) is { } run)
            {
                yield return run;
            }
        }
    }

    private static SourceEvent? TerraformRun(DriftDocument doc, JsonObject? run, string path, Dictionary<(string, string), JsonObject> included)
    {
        if (run is null)
        {
            return null;
        }

        var id = doc.String(run, "id", path);
        if (id is not null && !id.StartsWith("run-", StringComparison.Ordinal))
        {
            doc.Problem($"{path}.id", $"'{id}' is not a run id (run-…)");
        }

        if (doc.String(run, "type", path) is { } type && type != "runs")
        {
            doc.Problem($"{path}.type", $"must be runs, not '{type}'");
        }

        var attributes = doc.Object(run["attributes"], $"{path}.attributes");
        var status = doc.String(attributes, "status", $"{path}.attributes");
        var timestamps = doc.Object(attributes?["status-timestamps"], $"{path}.attributes.status-timestamps");
        var tpath = $"{path}.attributes.status-timestamps";
        var applying = doc.Time(timestamps, "applying-at", tpath, required: status == "applied");
        var applied = doc.Time(timestamps, "applied-at", tpath, required: status == "applied");
        var relationships = doc.Object(run["relationships"], $"{path}.relationships");
        var workspaceId = Related(doc, relationships, "workspace", $"{path}.relationships", required: true);
        var userId = Related(doc, relationships, "created-by", $"{path}.relationships", required: false);
        var cvId = Related(doc, relationships, "configuration-version", $"{path}.relationships", required: false);
        if (id is null || status is null || timestamps is null || workspaceId is null)
        {
            return null;
        }

        var workspace = included.GetValueOrDefault(("workspaces", workspaceId))?["attributes"]?["name"]?.GetValue<string>() ?? workspaceId;
        var user = userId is null ? null : included.GetValueOrDefault(("users", userId))?["attributes"]?["username"]?.GetValue<string>();
        var ingressId = cvId is null ? null : (included.GetValueOrDefault(("configuration-versions", cvId))?["relationships"]?["ingress-attributes"]?["data"]?["id"])?.GetValue<string>();
        var ingress = (ingressId is null ? null : included.GetValueOrDefault(("ingress-attributes", ingressId)))
            ?? included.Where(i => i.Key.Item1 == "ingress-attributes").Select(i => i.Value).SingleOrDefault();
        var ia = ingress?["attributes"] as JsonObject;
        string? Ingress(string name) => ia?[name] is JsonValue v ? (v.TryGetValue<string>(out var s) ? s : v.ToJsonString()) : null;
        var message = attributes?["message"]?.GetValue<string>();
        var ticket = new[] { message, Ingress("commit-message"), Ingress("branch"), Ingress("pull-request-title") }
            .Select(t => t is null ? null : Ticket().Match(t)).FirstOrDefault(m => m is { Success: true })?.Value;
        var refreshOnly = attributes?["refresh-only"] is JsonValue ro && ro.TryGetValue<bool>(out var b) && b;
        var at = applied ?? applying ?? doc.Time(timestamps, "planned-at", tpath, required: false) ?? doc.Time(attributes, "created-at", $"{path}.attributes", required: false);
        if (at is null)
        {
            doc.Problem(tpath, "has no time (applying-at, applied-at, planned-at)");
            return null;
        }

        var sender = Ingress("sender-username");
        return new SourceEvent(SourceKind.TerraformRun, id, at.Value)
        {
            Actor = user ?? sender,
            ActorName = sender ?? user,
            Workspace = workspace,
            WindowStart = applying ?? at,
            WindowEnd = applied ?? at,
            Succeeded = status == "applied" && !refreshOnly,
            Details = Details(
                (SourceDetail.Commit, Ingress("commit-sha")),
                (SourceDetail.CommitUrl, Ingress("commit-url")),
                (SourceDetail.Branch, Ingress("branch")),
                (SourceDetail.Sender, sender),
                (SourceDetail.PullRequest, Ingress("pull-request-number")),
                (SourceDetail.Ticket, ticket),
                (SourceDetail.Status, status),
                (SourceDetail.RunSource, attributes?["source"]?.GetValue<string>()),
                (SourceDetail.Message, message)),
        };
    }

    private static string? Related(DriftDocument doc, JsonObject? relationships, string name, string path, bool required)
    {
        var data = doc.Object(relationships?[name], $"{path}.{name}", required) is { } rel ? doc.Object(rel["data"], $"{path}.{name}.data", required) : null;
        return doc.String(data, "id", $"{path}.{name}.data", required && data is not null);
    }

    /// <summary>A value that is either a string or <c>{ "value": "…", "localizedValue": "…" }</c> (Activity Log).</summary>
    private static string? Value(DriftDocument doc, JsonObject r, string name, string path) =>
        r[name] is JsonObject o ? doc.String(o, "value", $"{path}.{name}", required: false) : doc.String(r, name, path, required: false);

    private static ImmutableDictionary<string, string> Details(params (string Key, string? Value)[] details) =>
        details.Where(d => !string.IsNullOrEmpty(d.Value)).ToImmutableDictionary(d => d.Key, d => d.Value!, StringComparer.Ordinal);

    [GeneratedRegex(@"\bCHG-[0-9]{4}-[0-9]{4}-[0-9]{3,}\b|\bCHG-[0-9]{3,}\b")]
    private static partial Regex Ticket();
}
