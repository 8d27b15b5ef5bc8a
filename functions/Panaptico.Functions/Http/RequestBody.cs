using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Panaptico.Core.Limits;

namespace Panaptico.Functions.Http;

/// <summary>
/// The request-body limit of each kind of endpoint, in bytes. Every function that reads a body declares one of these
/// when it reads it through <see cref="RequestBody"/>; evidence uploads stream to the vault under their own limit
/// (<c>Evidence:MaxArtifactBytes</c>, <c>Governance:MaxCheckedArtifactBytes</c>).
/// </summary>
public static class BodyLimits
{
    /// <summary>A decision or a step: approve, deny, sign, transition, dependency, runbook outcome, window start (64 KiB).</summary>
    public const int Decision = 64 * 1024;

    /// <summary>A definition: a plan, a task, an approval routing, a context pack, a runbook step's live state (256 KiB).</summary>
    public const int Definition = 256 * 1024;

    /// <summary>An Event Grid delivery: batches are at most 1 MB, plus room for the envelope.</summary>
    public const int EventBatch = 1024 * 1024 + 64 * 1024;
}

/// <summary>
/// The one way a function reads its request body: at most the endpoint's declared limit (413 <c>too-large</c>, before
/// anything is parsed or stored: by <c>Content-Length</c> when sent, else while reading), JSON only (415 for another
/// media type), parsed strictly (400 <c>invalid</c> naming where it broke), and every text in it within the limit of
/// its field (<see cref="TextLimits"/>, 400 <c>invalid</c> naming the field). A function decides nothing and writes
/// nothing before its body has passed.
/// </summary>
public static class RequestBody
{
    /// <summary>
    /// Strict binding of body records: required members are constructor parameters without defaults; a body that
    /// misses one, carries null where a value is required, or names a member the record does not have is refused.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false) },
    };

    /// <summary>A required JSON body bound to <typeparamref name="T"/>.</summary>
    public static async Task<(T? Body, IResult? Problem)> ReadAsync<T>(HttpRequest request, int limit, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.HasJsonContentType())
        {
            return (null, Problems.UnsupportedMediaType($"send the request body as application/json, not '{request.ContentType ?? "nothing"}'"));
        }

        var (bytes, tooLarge) = await ReadBytesAsync(request, limit, cancellationToken);
        if (bytes is null)
        {
            return (null, tooLarge);
        }

        T? body;
        try
        {
            body = JsonSerializer.Deserialize<T>(bytes, Options);
        }
        catch (JsonException e)
        {
            return (null, Problems.Problem(StatusCodes.Status400BadRequest, "invalid", "Malformed request body", e.Message));
        }

        if (body is null)
        {
            return (null, Problems.Invalid("the body is null; send a JSON object"));
        }

        using var document = JsonDocument.Parse(bytes);
        return TextProblem(document.RootElement) is { } problem ? (null, problem) : (body, null);
    }

    /// <summary>An optional JSON object body (none sent: null and no problem).</summary>
    public static async Task<(JsonObject? Json, IResult? Problem)> ReadObjectAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength is 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count == 0))
        {
            return (null, null);
        }

        var (bytes, tooLarge) = await ReadBytesAsync(request, limit, cancellationToken);
        if (bytes is null)
        {
            return (null, tooLarge);
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(bytes);
        }
        catch (JsonException e)
        {
            return (null, Problems.Invalid($"the body is not JSON: {e.Message}"));
        }

        if (node is not null and not JsonObject)
        {
            return (null, Problems.Invalid("the body must be a JSON object"));
        }

        using var document = JsonDocument.Parse(bytes);
        return TextProblem(document.RootElement) is { } problem ? (null, problem) : (node as JsonObject, null);
    }

    /// <summary>The body's bytes, at most <paramref name="limit"/>; null with a 413 problem when it is longer.</summary>
    public static async Task<(BinaryData? Bytes, IResult? Problem)> ReadBytesAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > limit)
        {
            return (null, TooLarge(limit));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return (null, TooLarge(limit));
            }

            buffer.Write(chunk, 0, read);
        }

        return (BinaryData.FromBytes(buffer.ToArray()), null);
    }

    /// <summary>The first text in <paramref name="root"/> longer than its field allows, as a 400 naming the field.</summary>
    public static IResult? TextProblem(JsonElement root) =>
        FirstTooLong(root, "", member: "", inMap: false) is { } tooLong
            ? Problems.Invalid(tooLong.Detail, new JsonObject { ["field"] = tooLong.Field, ["maxLength"] = tooLong.Limit })
            : null;

    private static (string Field, string Detail, int Limit)? FirstTooLong(JsonElement element, string path, string member, bool inMap)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                var limit = inMap ? TextLimits.Value : TextLimits.OfMember(member);
                return TextLimits.TooLong(path, element.GetString(), limit) is { } detail ? (path, detail, limit) : null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FirstTooLong(item, $"{path}[{i++}]", member, inMap) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValueKind.Object:
                // A free-form map's keys are names and its values values; any other object's members are fields.
                var isMap = TextLimits.MapMembers.Contains(member) && !inMap;
                foreach (var property in element.EnumerateObject())
                {
                    var child = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    if ((isMap || inMap) && property.Name.Length > TextLimits.Name)
                    {
                        return (path, $"{path} has a key {property.Name.Length} characters long; at most {TextLimits.Name} are allowed", TextLimits.Name);
                    }

                    if (FirstTooLong(property.Value, child, isMap || inMap ? member : property.Name, isMap || inMap) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static IResult TooLarge(int limit) =>
        Problems.TooLarge("Request body too large", $"this endpoint takes a request body of at most {limit} bytes",
            new JsonObject { ["limitBytes"] = limit });
}
