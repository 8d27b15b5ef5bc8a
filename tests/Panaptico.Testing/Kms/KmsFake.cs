using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;
using Response = WireMock.ResponseBuilders.Response;

namespace Panaptico.Testing.Kms;

/// <summary>One key the fake holds, with its rotation state (which EnableKeyRotation and DisableKeyRotation really change).</summary>
public sealed class FakeKmsKey(string keyId, string arn)
{
    public string KeyId { get; } = keyId;

    public string Arn { get; } = arn;

    public string KeyManager { get; init; } = "CUSTOMER";

    public string KeyState { get; init; } = "Enabled";

    public string KeySpec { get; init; } = "SYMMETRIC_DEFAULT";

    public string Origin { get; init; } = "AWS_KMS";

    public List<string> Aliases { get; init; } = [];

    public Dictionary<string, string> Tags { get; init; } = [];

    public bool RotationEnabled { get; set; }

    public int? RotationPeriodInDays { get; set; }
}

/// <summary>A request the fake received: its operation (from X-Amz-Target) and JSON body.</summary>
public sealed record KmsCall(string Operation, JsonObject Body);

/// <summary>
/// AWS KMS faked over its JSON protocol (there is no KMS server or emulator to run locally): <c>POST /</c> with
/// <c>X-Amz-Target: TrentService.&lt;Operation&gt;</c> and <c>Content-Type: application/x-amz-json-1.1</c>, answering
/// the documented shapes of ListKeys (paged by Limit/Marker), DescribeKey, GetKeyRotationStatus, EnableKeyRotation,
/// DisableKeyRotation, ListAliases and ListResourceTags, and the documented error shape <c>{"__type":"NotFoundException","message":…}</c>.
/// Each request is checked: the target and content type, a SigV4 <c>Authorization</c> header whose credential scope
/// names this region and the service <c>kms</c>, and a body with the operation's members only. A request that fails
/// a check is answered as KMS would refuse it and kept in <see cref="Refused"/>.
/// </summary>
public sealed partial class KmsFake : IDisposable
{
    public const string FinanceAccount = "412390551807";
    public const string DefaultRegion = "us-east-1";

    private static readonly Dictionary<string, string[]> s_members = new(StringComparer.Ordinal)
    {
        ["ListKeys"] = ["Limit", "Marker"],
        ["DescribeKey"] = ["KeyId", "GrantTokens"],
        ["GetKeyRotationStatus"] = ["KeyId"],
        ["EnableKeyRotation"] = ["KeyId", "RotationPeriodInDays"],
        ["DisableKeyRotation"] = ["KeyId"],
        ["ListAliases"] = ["KeyId", "Limit", "Marker"],
        ["ListResourceTags"] = ["KeyId", "Limit", "Marker"],
    };

    private readonly WireMockServer _server;
    private readonly object _gate = new();
    private readonly List<FakeKmsKey> _keys = [];
    private readonly List<KmsCall> _calls = [];
    private readonly List<string> _refused = [];

    public KmsFake(string region = DefaultRegion, string accountId = FinanceAccount)
    {
        Region = region;
        AccountId = accountId;
        _server = WireMockServer.Start();
        _server.Given(Request.Create().WithPath("/").UsingAnyMethod()).RespondWith(Response.Create().WithCallback(Handle));
    }

    public string Url => _server.Url!;

    public string Region { get; }

    public string AccountId { get; }

    /// <summary>The most keys one ListKeys/ListAliases page holds, whatever Limit asks (KMS caps Limit at 1000).</summary>
    public int MaxPageSize { get; set; } = 1000;

    public IReadOnlyList<KmsCall> Calls
    {
        get { lock (_gate) { return [.. _calls]; } }
    }

    /// <summary>Why each refused request was refused (wrong target, signature scope, body member…).</summary>
    public IReadOnlyList<string> Refused
    {
        get { lock (_gate) { return [.. _refused]; } }
    }

    public IReadOnlyList<FakeKmsKey> Keys
    {
        get { lock (_gate) { return [.. _keys]; } }
    }

    public int CallsOf(string operation) => Calls.Count(c => c.Operation == operation);

    public FakeKmsKey Key(string keyIdOrArn) => Keys.Single(k => k.KeyId == keyIdOrArn || k.Arn == keyIdOrArn);

    public FakeKmsKey Add(string keyId, Func<string, FakeKmsKey>? create = null)
    {
        var key = (create ?? (arn => new FakeKmsKey(keyId, arn)))($"arn:aws:kms:{Region}:{AccountId}:key/{keyId}");
        lock (_gate)
        {
            _keys.Add(key);
        }

        return key;
    }

    /// <summary>
    /// TASK-0412's scope: 14 finance CMKs (<c>alias/finance/…</c>, tag <c>domain=finance</c>), rotation enabled with
    /// 365 days except those listed in <paramref name="disabled"/> (by the 4-hex prefix of their key id, e.g. 2e19);
    /// beside them keys that are not in scope: an AWS-managed key, a marketing CMK and an asymmetric signing key.
    /// </summary>
    public static KmsFake Finance(params string[] disabled)
    {
        var fake = new KmsFake();
        string[] prefixes = ["4a12", "8f21", "c04a", "7d88", "2e19", "51b3", "93ce", "a7f0", "0d6e", "e2c8", "6b45", "f90d", "3c71", "b8a6"];
        string[] names = ["ledger", "payroll", "invoices", "treasury", "ap-exports", "ar-exports", "gl-archive", "tax", "expenses", "budgets", "forecasts", "audit-trail", "vendor-bank", "cards"];
        for (var i = 0; i < prefixes.Length; i++)
        {
            var on = !disabled.Contains(prefixes[i]);
            fake.Add(KeyIdOf(prefixes[i], i), arn => new FakeKmsKey(KeyIdOf(prefixes[i], i), arn)
            {
                Aliases = [$"alias/finance/{names[i]}"],
                Tags = new() { ["domain"] = "finance" },
                RotationEnabled = on,
                RotationPeriodInDays = on ? 365 : null,
            });
        }

        fake.Add(KeyIdOf("aws0", 20), arn => new FakeKmsKey(KeyIdOf("aws0", 20), arn) { KeyManager = "AWS", Aliases = ["alias/aws/s3"], RotationEnabled = true, RotationPeriodInDays = 365 });
        fake.Add(KeyIdOf("mk01", 21), arn => new FakeKmsKey(KeyIdOf("mk01", 21), arn) { Aliases = ["alias/marketing/crm"], Tags = new() { ["domain"] = "marketing" } });
        fake.Add(KeyIdOf("sg01", 22), arn => new FakeKmsKey(KeyIdOf("sg01", 22), arn) { KeySpec = "ECC_NIST_P256", Aliases = ["alias/platform/signing"], Tags = new() { ["domain"] = "platform" } });
        return fake;
    }

    /// <summary>
    /// The CloudTrail record KMS writes when it rotates <paramref name="key"/> (an <c>AwsServiceEvent</c> named
    /// <c>RotateKey</c>, as documented in CloudTrail's "AWS service events"), one line of a JSON-lines export.
    /// </summary>
    public string RotateKeyRecord(FakeKmsKey key, DateTimeOffset at) => new JsonObject
    {
        ["eventVersion"] = "1.08",
        ["userIdentity"] = new JsonObject { ["accountId"] = AccountId, ["invokedBy"] = "AWS Internal" },
        ["eventTime"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["eventSource"] = "kms.amazonaws.com",
        ["eventName"] = "RotateKey",
        ["awsRegion"] = Region,
        ["sourceIPAddress"] = "AWS Internal",
        ["userAgent"] = "AWS Internal",
        ["requestParameters"] = null,
        ["responseElements"] = null,
        ["eventID"] = Guid.NewGuid().ToString(),
        ["readOnly"] = false,
        ["resources"] = new JsonArray(new JsonObject { ["accountId"] = AccountId, ["type"] = "AWS::KMS::Key", ["ARN"] = key.Arn }),
        ["eventType"] = "AwsServiceEvent",
        ["recipientAccountId"] = AccountId,
        ["serviceEventDetails"] = new JsonObject { ["rotationType"] = "AUTOMATIC", ["keyId"] = key.KeyId },
        ["eventCategory"] = "Management",
    }.ToJsonString();

    /// <summary>A deterministic KMS-shaped key id starting with <paramref name="prefix"/>.</summary>
    public static string KeyIdOf(string prefix, int n) => $"{prefix}{n:x4}-5e6f-4a7b-8c9d-{n:x12}";

    public void Dispose() => _server.Dispose();

    private ResponseMessage Handle(IRequestMessage request)
    {
        var target = Header(request, "X-Amz-Target");
        var operation = target?.StartsWith("TrentService.", StringComparison.Ordinal) == true ? target["TrentService.".Length..] : null;
        if (request.Method != "POST" || operation is null || !s_members.TryGetValue(operation, out var members))
        {
            return Refuse("UnknownOperationException", $"{request.Method} with X-Amz-Target '{target}' is not an operation of this fake");
        }

        if (Header(request, "Content-Type")?.StartsWith("application/x-amz-json-1.1", StringComparison.Ordinal) != true)
        {
            return Refuse("SerializationException", $"{operation}: Content-Type '{Header(request, "Content-Type")}' is not application/x-amz-json-1.1");
        }

        if (SignatureProblem(request) is { } signature)
        {
            return Refuse(signature.Type, $"{operation}: {signature.Message}", status: signature.Type == "MissingAuthenticationTokenException" ? 403 : 400);
        }

        JsonObject body;
        try
        {
            body = JsonNode.Parse(string.IsNullOrEmpty(request.Body) ? "{}" : request.Body) as JsonObject ?? throw new FormatException();
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return Refuse("SerializationException", $"{operation}: the body is not a JSON object");
        }

        if (body.Select(p => p.Key).FirstOrDefault(name => !members.Contains(name)) is { } unknown)
        {
            return Refuse("SerializationException", $"{operation}: unexpected member '{unknown}'");
        }

        lock (_gate)
        {
            _calls.Add(new KmsCall(operation, body));
            return operation switch
            {
                "ListKeys" => Page(body, _keys, k => new JsonObject { ["KeyId"] = k.KeyId, ["KeyArn"] = k.Arn }, "Keys"),
                "ListAliases" => Page(body, Aliases(body), a => a, "Aliases"),
                _ => OnKey(operation, body),
            };
        }
    }

    private ResponseMessage OnKey(string operation, JsonObject body)
    {
        if ((string?)body["KeyId"] is not { Length: > 0 } keyId)
        {
            return Error("ValidationException", $"1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
        }

        var key = Find(keyId);
        if (key is null)
        {
            return Error("NotFoundException", $"Key '{keyId}' does not exist");
        }

        switch (operation)
        {
            case "DescribeKey":
                return Json(new JsonObject { ["KeyMetadata"] = Metadata(key) });
            case "ListResourceTags":
                return Json(new JsonObject
                {
                    ["Tags"] = new JsonArray([.. key.Tags.Select(t => (JsonNode)new JsonObject { ["TagKey"] = t.Key, ["TagValue"] = t.Value })]),
                    ["Truncated"] = false,
                });
        }

        if (key.KeySpec != "SYMMETRIC_DEFAULT" || key.Origin != "AWS_KMS")
        {
            return Error("UnsupportedOperationException", $"{key.Arn} does not support automatic key rotation");
        }

        if (key.KeyState != "Enabled")
        {
            return Error(key.KeyState == "Disabled" ? "DisabledException" : "KMSInvalidStateException", $"{key.Arn} is {key.KeyState}");
        }

        if (operation == "GetKeyRotationStatus")
        {
            var status = new JsonObject { ["KeyId"] = key.Arn, ["KeyRotationEnabled"] = key.RotationEnabled };
            if (key.RotationEnabled)
            {
                status["RotationPeriodInDays"] = key.RotationPeriodInDays ?? 365;
                status["NextRotationDate"] = Epoch(new DateTimeOffset(2027, 4, 21, 0, 0, 0, TimeSpan.Zero));
            }

            return Json(status);
        }

        // EnableKeyRotation, DisableKeyRotation
        if (key.KeyManager != "CUSTOMER")
        {
            return Error("AccessDeniedException", $"{key.Arn} is an AWS managed key; its rotation cannot be changed");
        }

        if (operation == "DisableKeyRotation")
        {
            key.RotationEnabled = false;
            key.RotationPeriodInDays = null;
            return Json([]);
        }

        var period = body["RotationPeriodInDays"] is { } p ? (int)p : 365;
        if (period is < 90 or > 2560)
        {
            return Error("ValidationException", $"RotationPeriodInDays {period} is outside 90-2560");
        }

        key.RotationEnabled = true;
        key.RotationPeriodInDays = period;
        return Json([]);
    }

    private List<JsonObject> Aliases(JsonObject body)
    {
        var only = (string?)body["KeyId"] is { } keyId ? Find(keyId) : null;
        return [.. _keys.Where(k => only is null || k == only).SelectMany(k => k.Aliases.Select(a => new JsonObject
        {
            ["AliasName"] = a,
            ["AliasArn"] = $"arn:aws:kms:{Region}:{AccountId}:{a}",
            ["TargetKeyId"] = k.KeyId,
        }))];
    }

    private ResponseMessage Page<T>(JsonObject body, IReadOnlyList<T> all, Func<T, JsonObject> shape, string member)
    {
        var limit = body["Limit"] is { } l ? (int)l : 100;
        if (limit is < 1 or > 1000)
        {
            return Error("ValidationException", $"Limit {limit} is outside 1-1000");
        }

        var start = (string?)body["Marker"] is { } marker && int.TryParse(marker.AsSpan("page-".Length), CultureInfo.InvariantCulture, out var at) ? at : 0;
        var size = Math.Min(limit, MaxPageSize);
        var page = all.Skip(start).Take(size).ToList();
        var answer = new JsonObject { [member] = new JsonArray([.. page.Select(x => (JsonNode)shape(x))]), ["Truncated"] = start + size < all.Count };
        if (start + size < all.Count)
        {
            answer["NextMarker"] = $"page-{start + size}";
        }

        return Json(answer);
    }

    private FakeKmsKey? Find(string keyId) =>
        _keys.FirstOrDefault(k => k.KeyId == keyId || k.Arn == keyId || k.Aliases.Contains(keyId));

    private JsonObject Metadata(FakeKmsKey key) => new()
    {
        ["AWSAccountId"] = AccountId,
        ["KeyId"] = key.KeyId,
        ["Arn"] = key.Arn,
        ["CreationDate"] = Epoch(new DateTimeOffset(2024, 1, 15, 9, 30, 0, TimeSpan.Zero)),
        ["Enabled"] = key.KeyState == "Enabled",
        ["Description"] = "",
        ["KeyUsage"] = key.KeySpec == "SYMMETRIC_DEFAULT" ? "ENCRYPT_DECRYPT" : "SIGN_VERIFY",
        ["KeyState"] = key.KeyState,
        ["Origin"] = key.Origin,
        ["KeyManager"] = key.KeyManager,
        ["CustomerMasterKeySpec"] = key.KeySpec,
        ["KeySpec"] = key.KeySpec,
        ["EncryptionAlgorithms"] = key.KeySpec == "SYMMETRIC_DEFAULT" ? new JsonArray("SYMMETRIC_DEFAULT") : null,
        ["SigningAlgorithms"] = key.KeySpec == "SYMMETRIC_DEFAULT" ? null : new JsonArray("ECDSA_SHA_256"),
        ["MultiRegion"] = false,
    };

    /// <summary>SigV4: <c>AWS4-HMAC-SHA256 Credential=AKID/yyyyMMdd/region/kms/aws4_request, SignedHeaders=…, Signature=…</c>.</summary>
    private (string Type, string Message)? SignatureProblem(IRequestMessage request)
    {
        if (Header(request, "Authorization") is not { } authorization)
        {
            return ("MissingAuthenticationTokenException", "no Authorization header: the request is not signed");
        }

        var match = SigV4().Match(authorization);
        if (!match.Success)
        {
            return ("IncompleteSignatureException", $"Authorization is not AWS4-HMAC-SHA256 with a credential scope, signed headers and a signature");
        }

        if (match.Groups["region"].Value != Region || match.Groups["service"].Value != "kms")
        {
            return ("InvalidSignatureException", $"credential scope {match.Groups["region"].Value}/{match.Groups["service"].Value}, expected {Region}/kms");
        }

        return Header(request, "X-Amz-Date") is null ? ("IncompleteSignatureException", "no X-Amz-Date header") : null;
    }

    private ResponseMessage Refuse(string type, string message, int status = 400)
    {
        lock (_gate)
        {
            _refused.Add(message);
        }

        return Error(type, message, status);
    }

    private static string? Header(IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();

    private static double Epoch(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 1000.0;

    private static ResponseMessage Error(string type, string message, int status = 400) => Json(new JsonObject { ["__type"] = type, ["message"] = message }, status);

    private static ResponseMessage Json(JsonObject body, int status = 200) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>>
        {
            ["Content-Type"] = new("application/x-amz-json-1.1"),
            ["x-amzn-RequestId"] = new(Guid.NewGuid().ToString()),
        },
        BodyData = new BodyData { BodyAsString = body.ToJsonString(), DetectedBodyType = BodyType.String },
    };

    [GeneratedRegex(@"^AWS4-HMAC-SHA256 Credential=(?<key>[^/]+)/(?<date>\d{8})/(?<region>[^/]+)/(?<service>[^/]+)/aws4_request, ?SignedHeaders=(?<headers>[^,]+), ?Signature=(?<signature>[0-9a-f]{64})$")]
    private static partial Regex SigV4();
}
