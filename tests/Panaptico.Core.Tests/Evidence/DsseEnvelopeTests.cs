using System.Text;
using Panaptico.Core.Evidence;

namespace Panaptico.Core.Tests.Evidence;

public class DsseEnvelopeTests
{
    [Fact]
    public void Pre_authentication_encoding_matches_the_dsse_specification_example()
    {
        var pae = DsseEnvelope.PreAuthenticationEncoding("http://example.com/HelloWorld", "hello world"u8);

        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world", Encoding.UTF8.GetString(pae));
    }

    [Fact]
    public void Pre_authentication_encoding_counts_bytes_not_characters()
    {
        var pae = DsseEnvelope.PreAuthenticationEncoding("t", Encoding.UTF8.GetBytes("é"));

        Assert.Equal("DSSEv1 1 t 2 é", Encoding.UTF8.GetString(pae));
    }

    [Fact]
    public void An_envelope_round_trips_through_its_json_with_base64_payload_and_signature()
    {
        var envelope = new DsseEnvelope(DsseEnvelope.InTotoPayloadType, "{}"u8.ToArray(), [new DsseSignature("k#1", [1, 2, 3])]);

        var json = envelope.ToJson();
        var parsed = DsseEnvelope.Parse(json);

        Assert.Contains("\"payload\": \"e30=\"", json);
        Assert.Contains("\"keyid\": \"k#1\"", json);
        Assert.Equal(envelope.Payload, parsed.Payload);
        Assert.Equal(envelope.Signatures[0].Sig, parsed.Signatures[0].Sig);
    }

    [Fact]
    public void Parsing_text_that_is_not_an_envelope_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => DsseEnvelope.Parse("{\"payloadType\": 3}"));
    }
}
