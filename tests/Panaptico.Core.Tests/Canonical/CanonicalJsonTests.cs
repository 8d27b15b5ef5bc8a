using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;

namespace Panaptico.Core.Tests.Canonical;

public sealed class CanonicalJsonTests
{
    [Fact]
    public void The_RFC_8785_section_3_2_2_example_canonicalizes_to_the_published_bytes()
    {
        const string input = """
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """;
        const string expected = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";

        var fromText = CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(input));
        var fromNode = CanonicalJson.Serialize(JsonNode.Parse(input));

        Assert.Equal(expected, Encoding.UTF8.GetString(fromText));
        Assert.Equal(fromText, fromNode);
    }

    [Fact]
    public void Members_are_sorted_by_UTF16_code_units_as_in_RFC_8785_section_3_2_3()
    {
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;

        var canonical = Encoding.UTF8.GetString(CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(input)));

        Assert.Equal(
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\"," +
            "\"\u20ac\":\"Euro Sign\",\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
            canonical);
    }

    [Theory]
    [InlineData(0x0000000000000000UL, "0")]
    [InlineData(0x8000000000000000UL, "0")]
    [InlineData(0x0000000000000001UL, "5e-324")]
    [InlineData(0x8000000000000001UL, "-5e-324")]
    [InlineData(0x7fefffffffffffffUL, "1.7976931348623157e+308")]
    [InlineData(0xffefffffffffffffUL, "-1.7976931348623157e+308")]
    [InlineData(0x4340000000000000UL, "9007199254740992")]
    [InlineData(0xc340000000000000UL, "-9007199254740992")]
    [InlineData(0x4430000000000000UL, "295147905179352830000")]
    [InlineData(0x44b52d02c7e14af5UL, "9.999999999999997e+22")]
    [InlineData(0x44b52d02c7e14af6UL, "1e+23")]
    [InlineData(0x44b52d02c7e14af7UL, "1.0000000000000001e+23")]
    [InlineData(0x444b1ae4d6e2ef4eUL, "999999999999999700000")]
    [InlineData(0x444b1ae4d6e2ef4fUL, "999999999999999900000")]
    [InlineData(0x444b1ae4d6e2ef50UL, "1e+21")]
    [InlineData(0x3eb0c6f7a0b5ed8cUL, "9.999999999999997e-7")]
    [InlineData(0x3eb0c6f7a0b5ed8dUL, "0.000001")]
    [InlineData(0x41b3de4355555553UL, "333333333.3333332")]
    [InlineData(0x41b3de4355555554UL, "333333333.33333325")]
    [InlineData(0x41b3de4355555555UL, "333333333.3333333")]
    [InlineData(0x41b3de4355555556UL, "333333333.3333334")]
    [InlineData(0x41b3de4355555557UL, "333333333.33333343")]
    [InlineData(0xbecbf647612f3696UL, "-0.0000033333333333333333")]
    [InlineData(0x43143ff3c1cb0959UL, "1424953923781206.2")]
    public void Numbers_are_formatted_as_in_the_RFC_8785_appendix_B_table(ulong ieee754, string expected)
    {
        var value = BitConverter.UInt64BitsToDouble(ieee754);

        Assert.Equal(expected, Encoding.UTF8.GetString(CanonicalJson.Serialize(JsonValue.Create(value))));
    }

    [Theory]
    [InlineData(0x7fffffffffffffffUL)]
    [InlineData(0x7ff0000000000000UL)]
    public void NaN_and_infinity_are_rejected(ulong ieee754)
    {
        var value = BitConverter.UInt64BitsToDouble(ieee754);

        Assert.Throws<JsonException>(() => CanonicalJson.Serialize(JsonValue.Create(value)));
    }

    [Fact]
    public void Control_characters_use_the_short_escapes_or_lowercase_u00XX_and_nothing_else_is_escaped()
    {
        var canonical = CanonicalJson.Serialize(JsonValue.Create("\b\t\n\f\r\u0001\u001f</script>é'"));

        Assert.Equal("\"\\b\\t\\n\\f\\r\\u0001\\u001f</script>é'\"", Encoding.UTF8.GetString(canonical));
    }

    [Fact]
    public void Whitespace_and_member_order_do_not_change_the_canonical_bytes()
    {
        var a = CanonicalJson.Canonicalize("{ \"b\" : [1, 2.0, {\"y\":1,\"x\":2}], \"a\": \"s\" }"u8);
        var b = CanonicalJson.Canonicalize("{\"a\":\"s\",\"b\":[1,2,{\"x\":2,\"y\":1}]}"u8);

        Assert.Equal("{\"a\":\"s\",\"b\":[1,2,{\"x\":2,\"y\":1}]}", Encoding.UTF8.GetString(a));
        Assert.Equal(a, b);
    }

    [Fact]
    public void Nodes_built_from_CLR_values_canonicalize_like_parsed_ones()
    {
        var built = new JsonObject
        {
            ["size"] = 1024L,
            ["count"] = 3,
            ["ratio"] = 0.5m,
            ["ok"] = true,
            ["name"] = "x",
            ["none"] = null,
        };
        var parsed = JsonNode.Parse("{\"size\":1024,\"count\":3,\"ratio\":0.5,\"ok\":true,\"name\":\"x\",\"none\":null}");

        Assert.Equal(CanonicalJson.Serialize(parsed), CanonicalJson.Serialize(built));
    }

    [Fact]
    public void Duplicate_member_names_are_rejected()
    {
        Assert.Throws<JsonException>(() => CanonicalJson.Canonicalize("{\"a\":1,\"a\":2}"u8));
    }

    [Fact]
    public void A_lone_surrogate_is_rejected()
    {
        Assert.Throws<JsonException>(() => CanonicalJson.Serialize(JsonValue.Create("x\ud800y")));
    }

    [Fact]
    public void Content_hash_is_lowercase_hex_sha256()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ContentHash.Sha256Hex("abc"u8));
        Assert.True(ContentHash.IsSha256Hex(ContentHash.Sha256Hex([])));
        Assert.False(ContentHash.IsSha256Hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
    }
}
