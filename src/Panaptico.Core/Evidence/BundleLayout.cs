namespace Panaptico.Core.Evidence;

/// <summary>
/// The offline bundle an auditor receives: a directory holding the signed envelope, a readable copy of the manifest,
/// the keyring, and every artifact named by its sha256. <c>panaptico verify</c> reads it with nothing else.
/// </summary>
public static class BundleLayout
{
    public const string EnvelopeFile = "bundle.dsse.json";
    public const string ManifestFile = "manifest.json";
    public const string KeyringFile = "keyring.json";
    public const string ArtifactsDirectory = "artifacts";
}
