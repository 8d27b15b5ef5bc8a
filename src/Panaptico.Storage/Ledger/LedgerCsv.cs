using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;
using Panaptico.Core.Ledger;

namespace Panaptico.Storage.Ledger;

/// <summary>
/// The CSV form of an export (RFC 4180): the record's fields in declared order, <c>data</c> as its canonical JSON
/// (<c>null</c> when null), <c>prev</c> empty when null. Each row converts back to the exact canonical record, so a
/// CSV export verifies like the JSONL one.
/// </summary>
internal static class LedgerCsv
{
    public static readonly string Header = string.Join(',', LedgerRecordFormat.FieldOrder);

    public static string ToRow(byte[] canonicalRecord)
    {
        var r = LedgerRecordFormat.Parse(canonicalRecord);
        var fields = new[]
        {
            r.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture),
            LedgerRecordFormat.FormatTime(r.At),
            r.Stream,
            r.Kind,
            r.Subject,
            r.Actor,
            CanonicalJson.SerializeToString(r.Data),
            r.Prev ?? "",
            r.Hash,
        };
        return string.Join(',', fields.Select(Quote));
    }

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    /// <summary>Rows as canonical record bytes; a row that cannot be a record yields a problem instead.</summary>
    public static async IAsyncEnumerable<LedgerExportFiles.ExportLine> ReadAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true), false, 1 << 16);
        var line = 0L;
        var header = await ReadRowAsync(reader, cancellationToken);
        line++;
        if (header is null || string.Join(',', header) != Header)
        {
            yield return new LedgerExportFiles.ExportLine(line, null, $"CSV header must be '{Header}'");
            yield break;
        }

        while (true)
        {
            List<string>? row;
            string? problem = null;
            try
            {
                row = await ReadRowAsync(reader, cancellationToken);
            }
            catch (InvalidDataException ex)
            {
                row = null;
                problem = ex.Message;
            }
            catch (DecoderFallbackException)
            {
                row = null;
                problem = "not valid UTF-8";
            }

            line++;
            if (problem is not null)
            {
                yield return new LedgerExportFiles.ExportLine(line, null, problem);
                yield break;
            }

            if (row is null)
            {
                yield break;
            }

            yield return ToCanonical(line, row);
        }
    }

    private static LedgerExportFiles.ExportLine ToCanonical(long line, List<string> row)
    {
        if (row.Count != 9)
        {
            return new(line, null, $"a row has 9 fields, this one {row.Count}");
        }

        if (!long.TryParse(row[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seq))
        {
            return new(line, null, $"seq '{row[0]}' is not a number");
        }

        if (!LedgerRecordFormat.TryParseTime(row[1], out var at))
        {
            return new(line, null, $"at '{row[1]}' is not a ledger time");
        }

        JsonObject? data;
        try
        {
            var node = JsonNode.Parse(row[6]);
            if (node is not (null or JsonObject) || CanonicalJson.SerializeToString(node) != row[6])
            {
                return new(line, null, "data is not an object in canonical JSON");
            }

            data = node as JsonObject;
        }
        catch (JsonException)
        {
            return new(line, null, "data is not JSON");
        }

        var record = new LedgerRecord(seq, at, row[2], row[3], row[4], row[5], data, row[7].Length == 0 ? null : row[7], row[8]);
        return new(line, LedgerRecordFormat.CanonicalBytes(record), null);
    }

    private static async Task<List<string>?> ReadRowAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var text = await reader.ReadLineAsync(cancellationToken);
        if (text is null)
        {
            return null;
        }

        var fields = new List<string>(9);
        var field = new StringBuilder();
        var i = 0;
        while (true)
        {
            if (i < text.Length && text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i == text.Length)
                    {
                        // A quoted field spans lines: the newline is part of it.
                        var more = await reader.ReadLineAsync(cancellationToken) ?? throw new InvalidDataException("unterminated quoted field");
                        field.Append('\n');
                        text = more;
                        i = 0;
                        continue;
                    }

                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(text[i++]);
                }
            }
            else
            {
                while (i < text.Length && text[i] != ',')
                {
                    if (text[i] == '"')
                    {
                        throw new InvalidDataException("a quote inside an unquoted field");
                    }

                    field.Append(text[i++]);
                }
            }

            fields.Add(field.ToString());
            field.Clear();
            if (i == text.Length)
            {
                return fields;
            }

            if (text[i] != ',')
            {
                throw new InvalidDataException("a quoted field must be followed by a comma or the end of the row");
            }

            i++;
        }
    }
}
