using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Graph;
using Microsoft.Kiota.Abstractions;

namespace Panaptico.Connectors.Drift.Entra;

/// <summary>
/// Reads Entra directory audits (<c>GET /auditLogs/directoryAudits?$filter=activityDateTime ge …</c>) as the raw
/// records Graph serves, every page, for attribution to parse: service principals, groups and SCIM pushes change
/// only there (they are in neither Resource Graph nor the Activity Log).
/// </summary>
public sealed class DirectoryAuditReader(GraphServiceClient graph)
{
    /// <summary>The records whose activityDateTime is at or after <paramref name="since"/>, in the order Graph returns them.</summary>
    public async Task<IReadOnlyList<JsonObject>> ReadSinceAsync(DateTimeOffset since, CancellationToken ct)
    {
        var request = graph.AuditLogs.DirectoryAudits.ToGetRequestInformation(r =>
            r.QueryParameters.Filter = $"activityDateTime ge {since.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}");
        var records = new List<JsonObject>();
        while (true)
        {
            // Raw: the typed model would drop what it does not know and re-spell what it does; attribution reads Graph's own shape.
            await using var stream = await graph.RequestAdapter.SendPrimitiveAsync<Stream>(request, cancellationToken: ct)
                ?? throw new InvalidOperationException("Graph answered directoryAudits with no body");
            var page = await JsonNode.ParseAsync(stream, cancellationToken: ct) as JsonObject
                ?? throw new JsonException("a directoryAudits page is not a JSON object");
            records.AddRange((page["value"] as JsonArray ?? []).OfType<JsonObject>().Select(r => (JsonObject)r.DeepClone()));
            if (page["@odata.nextLink"]?.GetValue<string>() is not { Length: > 0 } next)
            {
                return records;
            }
            request = new RequestInformation { HttpMethod = Method.GET, URI = new Uri(next) };
            request.Headers.Add("Accept", "application/json");
        }
    }
}
