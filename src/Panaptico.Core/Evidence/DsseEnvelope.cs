using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Evidence;

/// <summary>
/// A DSSE envelope (github.com/secure-systems-lab/dsse, protocol v1). Signatures cover
/// the pre-authentication encoding (PAE) of the payload type and the payload bytes, never the JSON around them.
/// Our ECDSA signatures are raw r||s (IEEE P1363, 64 bytes), the form Key Vault's ES256 returns, for every signer.
/// </summary>
public sealed record DsseEnvelope(
    [property: JsonPropertyName("payloadType")] string PayloadType,
    [property: JsonPropertyName("payload")] byte[] Payload,
    [property: JsonPropertyName("signatures")] IReadOnlyList<DsseSignature> Signatures)
{
    public const string InTotoPayloadType = "application/vnd.in-toto+json";

    private static readonly JsonSerializerOptions _json = new()
    {
        WriteIndented = true,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal bytes.</summary>
    public static byte[] PreAuthenticationEncoding(string payloadType, ReadOnlySpan<byte> payload)
    {
        var type = Encoding.UTF8.GetBytes(payloadType);
        var header = Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture, $"DSSEv1 {type.Length} {payloadType} {payload.Length} "));
        var pae = new byte[header.Length + payload.Length];
        header.CopyTo(pae, 0);
        payload.CopyTo(pae.AsSpan(header.Length));
        return pae;
    }

    public byte[] PreAuthenticationEncoding() => PreAuthenticationEncoding(PayloadType, Payload);

    public string ToJson() => JsonSerializer.Serialize(this, _json);

    /// <exception cref="FormatException">The text is not a DSSE envelope.</exception>
    public static DsseEnvelope Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<DsseEnvelope>(json, _json)
                ?? throw new FormatException("the envelope is null");
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a DSSE envelope: {e.Message}", e);
        }
    }
}

public sealed record DsseSignature(
    [property: JsonPropertyName("keyid")] string KeyId,
    [property: JsonPropertyName("sig")] byte[] Sig);
