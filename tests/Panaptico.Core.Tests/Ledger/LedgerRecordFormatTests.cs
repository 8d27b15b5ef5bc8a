using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;
using Panaptico.Core.Ledger;

namespace Panaptico.Core.Tests.Ledger;

public sealed class LedgerRecordFormatTests
{
    private static readonly DateTimeOffset s_at = new(2026, 4, 18, 11, 4, 5, TimeSpan.FromHours(2));

    [Fact]
    public void A_record_has_the_shape_locked_by_the_golden_file()
    {
        var first = LedgerRecordFormat.Seal(0, s_at.AddTicks(1234567), new LedgerEntry("governance", "task.sealed", "TASK-0412", "user:ana",
            new JsonObject { ["bundle"] = "sha256:ab", ["artifacts"] = 3, ["note"] = "größe \"quoted\"" }), prev: null);
        var second = LedgerRecordFormat.Seal(1, s_at.AddSeconds(1), new LedgerEntry("keyring", "key.created", "kv/ledger/1", "system:keyring", null), first.Hash);

        var text = Encoding.UTF8.GetString(LedgerRecordFormat.CanonicalBytes(first)) + "\n" +
                   Encoding.UTF8.GetString(LedgerRecordFormat.CanonicalBytes(second)) + "\n";

        Assert.Equal(File.ReadAllText(GoldenPath()), text);
    }

    [Fact]
    public void Every_field_is_present_and_null_is_written_not_omitted()
    {
        var record = LedgerRecordFormat.Seal(0, s_at, new LedgerEntry("drift", "delta.found", "res-1", "system:drift", null), prev: null);

        var json = JsonNode.Parse(LedgerRecordFormat.CanonicalBytes(record))!.AsObject();

        Assert.Equal(LedgerRecordFormat.FieldOrder.Order(StringComparer.Ordinal), json.Select(p => p.Key));
        Assert.Null(json["data"]);
        Assert.Null(json["prev"]);
        Assert.True(json.ContainsKey("data"));
        Assert.True(json.ContainsKey("prev"));
        Assert.Equal("2026-04-18T09:04:05.0000000Z", (string?)json["at"]);
    }

    [Fact]
    public void The_hash_covers_every_other_field()
    {
        var record = LedgerRecordFormat.Seal(5, s_at, new LedgerEntry("s", "k", "subj", "act", new JsonObject { ["x"] = 1 }), new string('a', 64));
        var variants = new[]
        {
            record with { Seq = 6 },
            record with { At = record.At.AddTicks(1) },
            record with { Stream = "t" },
            record with { Kind = "l" },
            record with { Subject = "subk" },
            record with { Actor = "acu" },
            record with { Data = new JsonObject { ["x"] = 2 } },
            record with { Data = null },
            record with { Prev = new string('b', 64) },
        };

        Assert.Equal(record.Hash, LedgerRecordFormat.ComputeHash(record));
        Assert.All(variants, v => Assert.NotEqual(record.Hash, LedgerRecordFormat.ComputeHash(v)));
    }

    [Fact]
    public void The_hash_is_sha256_of_the_canonical_record_without_its_hash_field()
    {
        var record = LedgerRecordFormat.Seal(3, s_at, new LedgerEntry("s", "k", "x", "a", new JsonObject { ["b"] = 2, ["a"] = 1 }), new string('c', 64));

        var withoutHash = LedgerRecordFormat.ToJson(record);
        withoutHash.Remove("hash");

        Assert.Equal(ContentHash.Sha256Hex(CanonicalJson.Serialize(withoutHash)), record.Hash);
        Assert.Equal(CanonicalJson.Serialize(LedgerRecordFormat.ToJson(record)), LedgerRecordFormat.CanonicalBytes(record));
    }

    [Fact]
    public void Parsing_the_canonical_bytes_gives_back_the_same_record()
    {
        var record = LedgerRecordFormat.Seal(9, s_at, new LedgerEntry("s", "k", "x", "a", new JsonObject { ["n"] = new JsonArray(1, "two") }), new string('d', 64));

        var parsed = LedgerRecordFormat.Parse(LedgerRecordFormat.CanonicalBytes(record));

        Assert.Equal(LedgerRecordFormat.CanonicalBytes(record), LedgerRecordFormat.CanonicalBytes(parsed));
        Assert.Equal(record.At, parsed.At);
    }

    [Theory]
    [InlineData("seq")]
    [InlineData("data")]
    [InlineData("prev")]
    public void A_record_missing_a_field_is_rejected_naming_the_field(string field)
    {
        var json = LedgerRecordFormat.ToJson(LedgerRecordFormat.Seal(0, s_at, new LedgerEntry("s", "k", "x", "a", null), null));
        json.Remove(field);

        var error = Assert.Throws<LedgerFormatException>(() => LedgerRecordFormat.Parse(CanonicalJson.Serialize(json)));

        Assert.Contains($"'{field}'", error.Message);
    }

    [Fact]
    public void A_line_that_is_valid_JSON_but_not_canonical_fails_the_line_check()
    {
        var record = LedgerRecordFormat.Seal(0, s_at, new LedgerEntry("s", "k", "x", "a", null), null);
        var spaced = Encoding.UTF8.GetBytes(LedgerRecordFormat.ToJson(record).ToJsonString());

        var check = LedgerRecordFormat.CheckLine(spaced, new());

        Assert.False(check.Ok);
        Assert.Equal(0, check.Seq);
        Assert.Contains("canonical", check.Reason);
    }

    private static string GoldenPath([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "Golden", "ledger-records.jsonl");
}
