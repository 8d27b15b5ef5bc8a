using System.Globalization;
using System.Text.Json.Nodes;
using Panaptico.Core.Ledger;

namespace Panaptico.Core.Governance;

/// <summary>Builds the ledger entries governance decisions return; every one carries its reason and effective time.</summary>
internal static class GovernanceLedger
{
    public const string Stream = "governance";
    public const string SystemActor = "system:governance";

    public static LedgerEntry Entry(string kind, string subject, string actor, string reason, DateTimeOffset at, JsonObject? data = null, string stream = Stream)
    {
        var body = data ?? [];
        body["reason"] = reason;
        body["at"] = Time(at);
        return new LedgerEntry(stream, kind, subject, actor, body);
    }

    public static string Time(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static JsonArray Array(IEnumerable<string> values) => [.. values.Select(v => (JsonNode?)JsonValue.Create(v))];
}
