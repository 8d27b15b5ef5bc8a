using System.Text.Json;
using System.Text.Json.Nodes;

namespace Panaptico.Core.Evidence;

/// <summary>
/// The in-toto Statement v1 a bundle's envelope carries: subject = the manifest's digest, predicate = the manifest.
/// Written as canonical JSON so the signed payload has one byte form.
/// </summary>
public static class InTotoStatement
{
    public const string StatementType = "https://in-toto.io/Statement/v1";
    public const string PredicateType = "https://panaptico.dev/evidence-bundle/v1";

    public static JsonObject Create(BundleSubject subject, string manifestSha256, JsonNode manifest) => new()
    {
        ["_type"] = StatementType,
        ["subject"] = new JsonArray(new JsonObject
        {
            ["name"] = subject.ToString(),
            ["digest"] = new JsonObject { ["sha256"] = manifestSha256 },
        }),
        ["predicateType"] = PredicateType,
        ["predicate"] = manifest.DeepClone(),
    };

    /// <summary>
    /// The manifest an envelope carries and its canonical bytes, without verifying anything: for code reading bundles it
    /// wrote itself. Auditors' code uses <see cref="BundleVerifier"/>.
    /// </summary>
    /// <exception cref="FormatException">The payload is not a statement carrying a manifest.</exception>
    public static (BundleManifest Manifest, byte[] CanonicalManifest) ReadManifest(DsseEnvelope envelope)
    {
        try
        {
            var predicate = JsonNode.Parse(envelope.Payload)?["predicate"] ?? throw new FormatException("the statement has no predicate");
            return (ManifestJson.FromNode(predicate), Canonical.CanonicalJson.Serialize(predicate));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new FormatException($"the envelope does not carry a bundle manifest: {e.Message}", e);
        }
    }
}
