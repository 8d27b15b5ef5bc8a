using System.Text.Json;

namespace Panaptico.Core.Governance.EvidenceGates;

/// <summary>Runs a requirement's machine check over an artifact's bytes; pure CPU, the caller passes the bytes in.</summary>
internal static class ArtifactInspection
{
    /// <param name="Malformed">Set when the bytes are not what the check reads at all (not CloudTrail records): refused, not kept.</param>
    public sealed record Verdict(ArtifactSummary Summary, ArtifactOutcome Outcome, string Reason, string? Malformed = null);

    public static Verdict Inspect(EvidenceRequirement requirement, ReadOnlyMemory<byte> bytes, EvidenceArtifact? reference, DateTimeOffset now)
    {
        if (requirement.Kind == EvidenceKind.TelemetryWindow)
        {
            return InspectTelemetry(requirement, bytes, now);
        }

        if (requirement.Check?.CloudTrail is { } cloudTrail)
        {
            var inspection = CloudTrailEvents.Inspect(cloudTrail, bytes);
            return inspection.Verdict ?? new Verdict(ArtifactSummary.None, ArtifactOutcome.Rejected, inspection.Malformed!, inspection.Malformed);
        }

        return InspectRows(requirement, bytes, reference);
    }

    private static Verdict InspectRows(EvidenceRequirement requirement, ReadOnlyMemory<byte> bytes, EvidenceArtifact? reference)
    {
        var check = requirement.Check;
        if (check is null || check.Format == ArtifactFormat.Any)
        {
            return new Verdict(ArtifactSummary.None, ArtifactOutcome.Accepted, $"captured ({bytes.Length} bytes, no machine check)");
        }

        var rows = 0;
        var error = check.Format == ArtifactFormat.JsonLines
            ? EachJsonLine(bytes, (line, row) => { rows++; return RowError(check, row, $"line {line}"); })
            : EachArrayElement(bytes, (index, row) => { rows++; return RowError(check, row, $"row {index}"); });
        var summary = new ArtifactSummary(rows);
        if (error is not null)
        {
            return new Verdict(summary, ArtifactOutcome.Rejected, error);
        }

        var counted = GovernanceText.Count(rows, Singular(check.Unit), check.Unit);
        if (check.ExpectedRows is { } expected && rows != expected)
        {
            return new Verdict(summary, ArtifactOutcome.Rejected, $"expected {GovernanceText.Count(expected, Singular(check.Unit), check.Unit)}, got {rows}");
        }

        if (check.MinRows is { } min && rows < min)
        {
            return new Verdict(summary, ArtifactOutcome.Rejected, $"expected at least {GovernanceText.Count(min, Singular(check.Unit), check.Unit)}, got {rows}");
        }

        if (check.RowsEqualRequirementId is { } other)
        {
            if (reference is not { Outcome: ArtifactOutcome.Accepted, Summary.Rows: { } before })
            {
                return new Verdict(summary, ArtifactOutcome.Rejected, $"count before = count after: '{other}' has no accepted artifact to compare with yet");
            }

            if (before != rows)
            {
                return new Verdict(summary, ArtifactOutcome.Rejected, $"count before = count after failed: '{other}' has {before}, this has {rows}");
            }

            return new Verdict(summary, ArtifactOutcome.Accepted, $"{counted} (= {before} in '{other}')");
        }

        return new Verdict(summary, ArtifactOutcome.Accepted, counted);
    }

    private static string? RowError(EvidenceCheck check, JsonElement row, string where)
    {
        if (row.ValueKind != JsonValueKind.Object)
        {
            return check.RequiredFields.IsEmpty && check.FieldEquals.IsEmpty ? null : $"{where} is not a JSON object";
        }

        foreach (var field in check.RequiredFields)
        {
            if (!row.TryGetProperty(field, out _))
            {
                return $"{where}: missing field '{field}'";
            }
        }

        foreach (var (field, expected) in check.FieldEquals)
        {
            if (!row.TryGetProperty(field, out var value))
            {
                return $"{where}: missing field '{field}'";
            }

            var actual = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
            if (actual != expected)
            {
                return $"{where}: {field} is '{actual}', expected '{expected}'";
            }
        }

        return null;
    }

    private static Verdict InspectTelemetry(EvidenceRequirement requirement, ReadOnlyMemory<byte> bytes, DateTimeOffset now)
    {
        var window = requirement.Window!;
        var start = requirement.WindowStartedAt!.Value;
        var end = start + window.Duration;
        var samples = new List<(DateTimeOffset At, double Value)>();
        var error = EachJsonLine(bytes, (line, row) =>
        {
            if (row.ValueKind != JsonValueKind.Object
                || !row.TryGetProperty("at", out var atElement) || !atElement.TryGetDateTimeOffset(out var at)
                || !row.TryGetProperty("value", out var valueElement) || !valueElement.TryGetDouble(out var value))
            {
                return $"line {line}: a sample needs 'at' (ISO 8601 time) and 'value' (number)";
            }

            if (row.TryGetProperty("metric", out var metric) && metric.GetString() != window.Metric)
            {
                return null;
            }

            if (at > now)
            {
                return $"line {line}: sample at {GovernanceLedger.Time(at)} is later than the capture time {GovernanceLedger.Time(now)}";
            }

            samples.Add((at, value));
            return null;
        });
        if (error is not null)
        {
            return new Verdict(new ArtifactSummary(samples.Count, start), ArtifactOutcome.Rejected, error);
        }

        var coveredTo = now < end ? now : end;
        var inWindow = samples.Where(s => s.At >= start && s.At <= coveredTo).OrderBy(s => s.At).ToList();
        var peak = inWindow.Count == 0 ? (double?)null : inWindow.Max(s => s.Value);
        var summary = new ArtifactSummary(inWindow.Count, start, coveredTo, peak);

        var breach = inWindow.FirstOrDefault(s => s.Value > window.MaxValue);
        if (breach != default)
        {
            return new Verdict(summary, ArtifactOutcome.Rejected,
                $"{window.Metric} was {GovernanceText.Number(breach.Value)} at {GovernanceText.Minute(breach.At)}, above {GovernanceText.Number(window.MaxValue)}: the condition broke inside the window");
        }

        // The condition counts as held only where samples show it: every gap, including the edges, within MaxSampleGap.
        var previous = start;
        foreach (var at in inWindow.Select(s => s.At).Append(coveredTo))
        {
            if (at - previous > window.MaxSampleGap)
            {
                return new Verdict(summary, ArtifactOutcome.Rejected,
                    $"no {window.Metric} samples between {GovernanceText.Minute(previous)} and {GovernanceText.Minute(at)} (gap {GovernanceText.Duration(at - previous)} > {GovernanceText.Duration(window.MaxSampleGap)}): the window cannot be shown to have held");
            }

            previous = at;
        }

        var peakText = peak is null ? "no samples" : $"peak {GovernanceText.Number(peak.Value)}";
        return now >= end
            ? new Verdict(summary, ArtifactOutcome.Accepted, $"{GovernanceText.Duration(window.Duration)} held · {peakText} ≤ {GovernanceText.Number(window.MaxValue)}")
            : new Verdict(summary, ArtifactOutcome.Pending,
                $"held for {GovernanceText.Duration(now - start)} of {GovernanceText.Duration(window.Duration)} ({peakText}); {GovernanceText.Duration(end - now)} remaining");
    }

    /// <summary>Calls <paramref name="row"/> for each non-blank line with its 1-based number; the first error stops.</summary>
    private static string? EachJsonLine(ReadOnlyMemory<byte> bytes, Func<int, JsonElement, string?> row)
    {
        var rest = bytes;
        var line = 0;
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

            try
            {
                using var document = JsonDocument.Parse(current);
                var error = row(line, document.RootElement);
                if (error is not null)
                {
                    return error;
                }
            }
            catch (JsonException e)
            {
                return $"line {line} is not JSON ({e.Message.Split('.')[0]})";
            }
        }

        return null;
    }

    private static string? EachArrayElement(ReadOnlyMemory<byte> bytes, Func<int, JsonElement, string?> row)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return "expected a JSON array";
            }

            var index = 0;
            foreach (var element in document.RootElement.EnumerateArray())
            {
                var error = row(++index, element);
                if (error is not null)
                {
                    return error;
                }
            }

            return null;
        }
        catch (JsonException e)
        {
            return $"not JSON ({e.Message.Split('.')[0]})";
        }
    }

    private static string Singular(string unit) => unit.EndsWith('s') ? unit[..^1] : unit;
}
