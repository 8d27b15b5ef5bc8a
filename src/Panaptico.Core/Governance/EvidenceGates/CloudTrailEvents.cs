using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace Panaptico.Core.Governance.EvidenceGates;

/// <summary>
/// "CloudTrail RotateKey · 14 events": CloudTrail records in their own shape (one per line, as
/// <c>aws cloudtrail lookup-events</c> gives each <c>CloudTrailEvent</c>, or as a trail's log file holds them), of which
/// those from <see cref="EventSource"/> named <see cref="EventName"/> (and of <see cref="EventType"/>, for
/// <see cref="RecipientAccountId"/>, inside the window) must name every resource in <see cref="Resources"/> by its
/// <c>resources[].ARN</c>. Other records are allowed and ignored; a line that is not a CloudTrail record is refused.
/// </summary>
public sealed record CloudTrailEventCheck(string EventSource, string EventName)
{
    /// <summary>e.g. <c>AwsServiceEvent</c> (the vendor's own rotation), not <c>AwsApiCall</c>.</summary>
    public string? EventType { get; init; }

    public string? RecipientAccountId { get; init; }

    /// <summary>The ARNs that must each have a matching event: "14 events" is 14 distinct keys.</summary>
    public ImmutableArray<string> Resources { get; init; } = [];

    /// <summary>The window events must fall in (inclusive); open on a side left null.</summary>
    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    internal string? Problem()
    {
        if (string.IsNullOrWhiteSpace(EventSource) || string.IsNullOrWhiteSpace(EventName))
        {
            return "a CloudTrail check needs the eventSource and eventName to count";
        }

        if (Resources.IsDefaultOrEmpty || Resources.Any(string.IsNullOrWhiteSpace) || Resources.Distinct(StringComparer.Ordinal).Count() != Resources.Length)
        {
            return "a CloudTrail check needs the distinct resource ARNs that must each have an event";
        }

        return From > To ? "a CloudTrail check's window ends before it starts" : null;
    }
}

/// <summary>Reads CloudTrail records line by line and judges them against a <see cref="CloudTrailEventCheck"/>.</summary>
internal static class CloudTrailEvents
{
    /// <summary>A verdict, or the reason the bytes are not CloudTrail records at all (with its line).</summary>
    public sealed record Inspection(ArtifactInspection.Verdict? Verdict, string? Malformed, int Line);

    public static Inspection Inspect(CloudTrailEventCheck check, ReadOnlyMemory<byte> bytes)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var records = 0;
        var matching = 0;
        var outsideWindow = 0;
        var line = 0;
        var rest = bytes;
        while (!rest.IsEmpty)
        {
            line++;
            var newline = rest.Span.IndexOf((byte)'\n');
            var current = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? ReadOnlyMemory<byte>.Empty : rest[(newline + 1)..];
            if (current.Span.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(current);
            }
            catch (JsonException e)
            {
                return new Inspection(null, $"line {line} is not JSON ({e.Message.Split('.')[0]})", line);
            }

            using (document)
            {
                var record = document.RootElement;
                if (Shape(record) is { } problem)
                {
                    return new Inspection(null, $"line {line} is not a CloudTrail record: {problem}", line);
                }

                records++;
                if (Text(record, "eventSource") != check.EventSource || Text(record, "eventName") != check.EventName
                    || (check.EventType is { } type && Text(record, "eventType") != type)
                    || (check.RecipientAccountId is { } account && Text(record, "recipientAccountId") != account))
                {
                    continue;
                }

                if (!record.TryGetProperty("resources", out var resources) || resources.ValueKind != JsonValueKind.Array
                    || resources.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.Object || Text(r, "ARN") is not { Length: > 0 }))
                {
                    return new Inspection(null, $"line {line} is not a CloudTrail {check.EventName} record: it needs resources[].ARN naming the resource", line);
                }

                var at = DateTimeOffset.Parse(Text(record, "eventTime")!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                if (at < check.From || at > check.To)
                {
                    outsideWindow++;
                    continue;
                }

                matching++;
                foreach (var resource in resources.EnumerateArray())
                {
                    seen.Add(Text(resource, "ARN")!);
                }
            }
        }

        var expected = check.Resources;
        var covered = expected.Count(seen.Contains);
        var summary = new ArtifactSummary(covered);
        var ignored = outsideWindow == 0 ? "" : $" ({GovernanceText.Count(outsideWindow, "event", "events")} outside the window ignored)";
        var counted = $"{GovernanceText.Count(matching, "event", "events")} · {covered} of {expected.Length} keys";
        if (covered == expected.Length)
        {
            return new Inspection(new ArtifactInspection.Verdict(summary, ArtifactOutcome.Accepted, counted + ignored), null, 0);
        }

        var missing = expected.Where(r => !seen.Contains(r)).ToList();
        var names = missing.Count <= 5 ? string.Join(", ", missing) : $"{string.Join(", ", missing.Take(5))} and {missing.Count - 5} more";
        return new Inspection(new ArtifactInspection.Verdict(summary, ArtifactOutcome.Rejected,
            $"{covered} of {expected.Length} keys have a {check.EventName} event in the window{ignored}; no {check.EventName} for {names}"), null, 0);
    }

    /// <summary>Null when the element has the fields every CloudTrail record carries, in their types.</summary>
    private static string? Shape(JsonElement record)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            return "not a JSON object";
        }

        foreach (var field in new[] { "eventVersion", "eventSource", "eventName", "eventType", "eventTime" })
        {
            if (Text(record, field) is not { Length: > 0 })
            {
                return $"'{field}' missing or not a string";
            }
        }

        return DateTimeOffset.TryParse(Text(record, "eventTime"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
            ? null
            : $"eventTime '{Text(record, "eventTime")}' is not an ISO 8601 time";
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
