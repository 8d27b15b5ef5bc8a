using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Connectors.KeyVault;
using Panaptico.Core.Evidence;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;
using Request = WireMock.RequestBuilders.Request;
using Response = WireMock.ResponseBuilders.Response;

namespace Panaptico.Connectors.Tests.KeyVault;

/// <summary>
/// Key Vault faked over real HTTPS (bearer tokens are refused over plain HTTP by Azure.Core). The fake checks method,
/// path, api-version, bearer token and algorithm, and signs the digest it receives with a real P-256 key.
/// </summary>
public sealed class KeyVaultBundleSignerTests : IDisposable
{
    private const string KeyName = "bundle-signing";
    private const string Version = "4f1e2d3c4b5a69788796a5b4c3d2e1f0";
    private const string Token = "test-token";

    private readonly X509Certificate2 _tlsCertificate = SelfSignedLocalhost();
    private readonly WireMockServer _vault;
    private readonly ECDsa _vaultKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly List<byte[]> _digestsSigned = [];
    private byte[]? _expectedDigest;
    private readonly StaticTokenCredential _credential = new(Token);

    public KeyVaultBundleSignerTests()
    {
        _vault = WireMockServer.Start(new WireMockServerSettings
        {
            UseSSL = true,
            CertificateSettings = new WireMockCertificateSettings { X509Certificate = _tlsCertificate },
        });
        var keyBundle = KeyBundle();
        foreach (var path in new[] { $"/keys/{KeyName}", $"/keys/{KeyName}/{Version}" })
        {
            _vault.Given(Authorized(Request.Create().WithPath(path).UsingGet()))
                .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(keyBundle));
        }

        _vault.Given(Authorized(Request.Create().WithPath($"/keys/{KeyName}/{Version}/sign").UsingPost()))
            .RespondWith(Response.Create().WithCallback(Sign));
    }

    [Fact]
    public async Task A_signature_from_key_vault_verifies_with_the_public_key_archived_in_the_keyring()
    {
        var signer = CreateSigner();
        var sealer = new BundleSealer(signer, new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero)));
        var artifact = "312 keys"u8.ToArray();
        var request = new SealRequest(
            new BundleSubject(BundleSubject.Change, "CHG-2026-0418-114"),
            [new ManifestArtifact("pre-snapshot", "keys.json", Convert.ToHexStringLower(SHA256.HashData(artifact)), artifact.Length, "application/json", "system:backup", DateTimeOffset.UnixEpoch)],
            [], [], []);

        var bundle = await sealer.SealAsync(request, ImmutabilityStatus.Enforced, default);
        var archived = await signer.GetKeyAsync(bundle.Manifest.Signer.KeyVersion, default);
        var keyring = Keyring.Empty.Append(new KeyringEntry(archived.KeyId, archived.Version, archived.PublicKeyPem, archived.CreatedAt!.Value));
        var report = await BundleVerifier.VerifyAsync(
            bundle.Envelope, keyring, (_, _) => ValueTask.FromResult<Stream?>(new MemoryStream(artifact)), default);

        Assert.True(report.Verified, string.Join("; ", report.Failures));
        Assert.Equal(new BundleSignerRef($"{_vault.Url}/keys/{KeyName}", Version), bundle.Manifest.Signer);
        Assert.Equal(SHA256.HashData(bundle.Envelope.PreAuthenticationEncoding()), Assert.Single(_digestsSigned));
        Assert.Equal(_vaultKey.ExportSubjectPublicKeyInfoPem(), archived.PublicKeyPem);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_763_900_000), archived.CreatedAt);
    }

    [Fact]
    public async Task Signing_sends_the_sha256_of_the_pae_and_returns_raw_r_and_s_with_the_exact_version()
    {
        var signer = CreateSigner(keyVersion: Version);
        var pae = DsseEnvelope.PreAuthenticationEncoding(DsseEnvelope.InTotoPayloadType, "{}"u8);
        _expectedDigest = SHA256.HashData(pae);

        var signature = await signer.SignAsync(pae, default);

        Assert.Equal(Version, signature.KeyVersion);
        Assert.Equal(64, signature.Signature.Length);
        Assert.Equal(SHA256.HashData(pae), Assert.Single(_digestsSigned));
        Assert.True(_vaultKey.VerifyData(pae, signature.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        Assert.Equal([KeyVaultBundleSigner.Scope], _credential.ScopesRequested.Distinct());
    }

    [Fact]
    public async Task A_key_vault_refusal_surfaces_as_a_request_failure_with_its_status()
    {
        var signer = CreateSigner(keyVersion: "00000000000000000000000000000000");

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => signer.SignAsync([1, 2, 3], default));

        Assert.Equal(404, error.Status);
    }

    private KeyVaultBundleSigner CreateSigner(string? keyVersion = null)
    {
        var options = new KeyVaultSignerOptions
        {
            // The fake's certificate is self-signed: trust exactly that one.
            Transport = new HttpClientTransport(new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == _tlsCertificate.Thumbprint,
            }),
        };
        options.Retry.MaxRetries = 0;
        return new KeyVaultBundleSigner(new Uri(_vault.Url!), KeyName, _credential, keyVersion, options);
    }

    private static IRequestBuilder Authorized(IRequestBuilder request) => request
        .WithParam("api-version", "7.4")
        .WithHeader("Authorization", new ExactMatcher($"Bearer {Token}"));

    private string KeyBundle()
    {
        var q = _vaultKey.ExportParameters(false).Q;
        return new JsonObject
        {
            ["key"] = new JsonObject
            {
                ["kid"] = $"{_vault.Url}/keys/{KeyName}/{Version}",
                ["kty"] = "EC-HSM",
                ["crv"] = "P-256",
                ["key_ops"] = new JsonArray("sign", "verify"),
                ["x"] = Base64Url.EncodeToString(q.X),
                ["y"] = Base64Url.EncodeToString(q.Y),
            },
            ["attributes"] = new JsonObject { ["enabled"] = true, ["created"] = 1_763_900_000 },
        }.ToJsonString();
    }

    /// <summary>
    /// Key Vault's ES256 sign: the body's value is a SHA-256 digest (checked against the PAE's when the test knows it
    /// up front; otherwise the test compares afterwards); the answer is r||s, base64url.
    /// </summary>
    private ResponseMessage Sign(IRequestMessage request)
    {
        var body = JsonNode.Parse(request.Body!)!;
        var digest = Base64Url.DecodeFromChars((string)body["value"]!);
        if ((string?)body["alg"] != "ES256" || digest.Length != 32 || (_expectedDigest is not null && !digest.AsSpan().SequenceEqual(_expectedDigest)))
        {
            return Json(400, new JsonObject { ["error"] = new JsonObject { ["code"] = "BadParameter" } });
        }

        _digestsSigned.Add(digest);
        var signature = _vaultKey.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return Json(200, new JsonObject
        {
            ["kid"] = $"{_vault.Url}/keys/{KeyName}/{Version}",
            ["value"] = Base64Url.EncodeToString(signature),
        });
    }

    private static ResponseMessage Json(int status, JsonObject body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
        BodyData = new BodyData { BodyAsString = body.ToJsonString(), DetectedBodyType = BodyType.String },
    };

    private static X509Certificate2 SelfSignedLocalhost()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Kestrel wants a certificate whose private key it can use from a store-less PFX.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }

    public void Dispose()
    {
        _vault.Stop();
        _vault.Dispose();
        _vaultKey.Dispose();
        _tlsCertificate.Dispose();
    }

    private sealed class StaticTokenCredential(string token) : TokenCredential
    {
        public List<string> ScopesRequested { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            ScopesRequested.AddRange(requestContext.Scopes);
            return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
