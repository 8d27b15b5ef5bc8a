using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Panaptico.Core.Evidence;

namespace Panaptico.Connectors.KeyVault;

/// <summary>Pipeline options (retries, transport, diagnostics) for <see cref="KeyVaultBundleSigner"/>.</summary>
public sealed class KeyVaultSignerOptions : ClientOptions;

/// <summary>
/// Signs bundles with a Key Vault EC P-256 key through Key Vault's REST <c>sign</c> operation (ES256).
/// Azure.Security.KeyVault.Keys is not available on this machine, so this calls the REST API directly on Azure.Core's
/// pipeline (retries, logging, bearer tokens from a <see cref="TokenCredential"/>). The private key never leaves the
/// vault; Key Vault returns the signature as raw r||s (IEEE P1363), the form every Panaptico signer uses.
/// </summary>
public sealed class KeyVaultBundleSigner : IBundleSigner
{
    public const string Scope = "https://vault.azure.net/.default";
    public const string ApiVersion = "7.4";

    private readonly HttpPipeline _pipeline;
    private readonly string _vault;
    private readonly string _keyName;
    private readonly string? _pinnedVersion;
    private volatile string? _resolvedVersion;

    /// <param name="vaultUri">e.g. https://contoso.vault.azure.net/</param>
    /// <param name="keyVersion">Sign with this version only; null follows the key's current version.</param>
    public KeyVaultBundleSigner(Uri vaultUri, string keyName, TokenCredential credential, string? keyVersion = null, KeyVaultSignerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vaultUri);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyName);
        ArgumentNullException.ThrowIfNull(credential);
        _vault = vaultUri.AbsoluteUri.TrimEnd('/');
        _keyName = keyName;
        _pinnedVersion = string.IsNullOrWhiteSpace(keyVersion) ? null : keyVersion;
        _pipeline = HttpPipelineBuilder.Build(options ?? new KeyVaultSignerOptions(), new BearerTokenAuthenticationPolicy(credential, Scope));
        KeyId = $"{_vault}/keys/{_keyName}";
    }

    public string KeyId { get; }

    /// <summary>
    /// The version that signs next, with its public key. Following the current version, it is resolved here and then
    /// used explicitly by <see cref="SignAsync"/>, so the version the manifest names is the one that signs.
    /// </summary>
    public async Task<SigningKey> CurrentKeyAsync(CancellationToken cancellationToken)
    {
        var key = await GetKeyAsync(_pinnedVersion, cancellationToken);
        _resolvedVersion = key.Version;
        return key;
    }

    /// <summary>The public key of one version (or the current one), for the keyring.</summary>
    /// <exception cref="RequestFailedException">Key Vault refused or the key is not EC P-256.</exception>
    public async Task<SigningKey> GetKeyAsync(string? version, CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Get;
        message.Request.Uri.Reset(KeyUri(version, operation: null));
        var json = await SendAsync(message, cancellationToken);

        var jwk = json["key"] ?? throw Malformed("no 'key' in the key bundle");
        var kid = (string?)jwk["kid"] ?? throw Malformed("no 'kid' in the key");
        if ((string?)jwk["crv"] != "P-256" || (string?)jwk["kty"] is not ("EC" or "EC-HSM"))
        {
            throw Malformed($"key {kid} is not an EC P-256 key");
        }

        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlBytes(jwk["x"]), Y = Base64UrlBytes(jwk["y"]) },
        });
        var created = json["attributes"]?["created"] is JsonValue seconds
            ? DateTimeOffset.FromUnixTimeSeconds(seconds.GetValue<long>())
            : (DateTimeOffset?)null;
        return new SigningKey(KeyId, VersionOf(kid), ecdsa.ExportSubjectPublicKeyInfoPem(), created);
    }

    /// <summary>Sends SHA-256(<paramref name="pae"/>) to Key Vault; the response's <c>kid</c> names the exact version.</summary>
    public async Task<BundleSignature> SignAsync(byte[] pae, CancellationToken cancellationToken)
    {
        var version = _pinnedVersion ?? _resolvedVersion ?? (await CurrentKeyAsync(cancellationToken)).Version;
        var body = new JsonObject
        {
            ["alg"] = "ES256",
            ["value"] = Base64Url.EncodeToString(SHA256.HashData(pae)),
        };

        using var message = _pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Post;
        message.Request.Uri.Reset(KeyUri(version, operation: "sign"));
        message.Request.Headers.Add(HttpHeader.Names.ContentType, "application/json");
        message.Request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(body));
        var json = await SendAsync(message, cancellationToken);

        var kid = (string?)json["kid"] ?? throw Malformed("no 'kid' in the sign result");
        var signature = Base64UrlBytes(json["value"]);
        if (signature.Length != 64)
        {
            throw Malformed($"an ES256 signature is 64 bytes (r||s), Key Vault returned {signature.Length}");
        }

        return new BundleSignature(signature, VersionOf(kid));
    }

    private Uri KeyUri(string? version, string? operation)
    {
        var path = $"{_vault}/keys/{Uri.EscapeDataString(_keyName)}";
        if (version is not null)
        {
            path += "/" + Uri.EscapeDataString(version);
        }

        if (operation is not null)
        {
            path += "/" + operation;
        }

        return new Uri($"{path}?api-version={ApiVersion}");
    }

    private async Task<JsonNode> SendAsync(HttpMessage message, CancellationToken cancellationToken)
    {
        message.Request.Headers.Add(HttpHeader.Names.Accept, "application/json");
        await _pipeline.SendAsync(message, cancellationToken);
        if (message.Response.IsError)
        {
            throw new RequestFailedException(message.Response);
        }

        try
        {
            return JsonNode.Parse(message.Response.Content.ToMemory().Span) ?? throw Malformed("empty response");
        }
        catch (JsonException e)
        {
            throw Malformed($"response is not JSON: {e.Message}");
        }
    }

    /// <summary>kid = {vault}/keys/{name}/{version}; the last segment is the exact version.</summary>
    private string VersionOf(string kid)
    {
        var segments = new Uri(kid).AbsolutePath.Trim('/').Split('/');
        if (segments is not ["keys", var name, var version] || !string.Equals(name, _keyName, StringComparison.OrdinalIgnoreCase))
        {
            throw Malformed($"kid '{kid}' does not name a version of key '{_keyName}'");
        }

        return version;
    }

    private static byte[] Base64UrlBytes(JsonNode? node)
    {
        var text = (string?)node ?? throw Malformed("a base64url field is missing");
        return Base64Url.DecodeFromChars(text);
    }

    private static RequestFailedException Malformed(string message) => new($"Key Vault: {message}");
}
