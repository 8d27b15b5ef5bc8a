using System.Text.Json.Nodes;

namespace Panaptico.Connectors.Drift.Snapshots;

/// <summary>
/// Rotation of a set of AWS KMS customer managed keys (e.g. the 14 CMKs of one account and region), one entry per
/// key as <c>GetKeyRotationStatus</c> answers it. <c>system</c> aws, <c>kind</c> kms-key-rotation.
/// </summary>
public sealed record AwsKmsKeyRotation : ISnapshotState
{
    public string? AccountId { get; init; }

    public string? Region { get; init; }

    public IReadOnlyList<AwsKmsKey?>? Keys { get; init; }

    public void Validate(SnapshotCheck check)
    {
        if (check.Present("accountId", AccountId) && (AccountId.Length != 12 || !AccountId.All(char.IsAsciiDigit)))
        {
            check.Fail("accountId", $"'{AccountId}' is not a 12-digit AWS account id");
        }
        check.Text("region", Region, 32);
        check.Items("keys", Keys, (c, k) => k.Validate(c), maxCount: 1_000);
        if (Keys?.OfType<AwsKmsKey>().GroupBy(k => k.KeyId, StringComparer.Ordinal).FirstOrDefault(g => g.Key is not null && g.Count() > 1) is { } twice)
        {
            check.Fail("keys", $"lists key '{twice.Key}' more than once");
        }
    }

    /// <summary>Per key: <c>keys.&lt;keyId&gt;.keyRotationEnabled</c> and <c>keys.&lt;keyId&gt;.rotationPeriodInDays</c>; and <c>keyCount</c>.</summary>
    public IReadOnlyDictionary<string, JsonNode?> ToFields()
    {
        var fields = new Dictionary<string, JsonNode?>
        {
            ["accountId"] = AccountId,
            ["region"] = Region,
            ["keyCount"] = Keys?.Count ?? 0,
        };
        foreach (var key in Keys?.OfType<AwsKmsKey>() ?? [])
        {
            fields[$"keys.{key.KeyId}.keyRotationEnabled"] = key.KeyRotationEnabled;
            fields[$"keys.{key.KeyId}.rotationPeriodInDays"] = key.RotationPeriodInDays;
        }
        return fields;
    }
}

/// <summary>One key's rotation status (KMS: KeyId, KeyRotationEnabled, RotationPeriodInDays 90–2560).</summary>
public sealed record AwsKmsKey
{
    public string? KeyId { get; init; }

    public bool? KeyRotationEnabled { get; init; }

    /// <summary>Present when rotation is enabled.</summary>
    public int? RotationPeriodInDays { get; init; }

    public void Validate(SnapshotCheck check)
    {
        if (check.Present("keyId", KeyId) && !Guid.TryParse(KeyId, out _) && !KeyId.StartsWith("mrk-", StringComparison.Ordinal))
        {
            check.Fail("keyId", $"'{KeyId}' is not a KMS key id (a UUID, or mrk-… for a multi-Region key)");
        }
        check.Present("keyRotationEnabled", KeyRotationEnabled);
        if (KeyRotationEnabled == true)
        {
            check.Range("rotationPeriodInDays", RotationPeriodInDays, 90, 2560);
        }
        else if (RotationPeriodInDays is not null)
        {
            check.Fail("rotationPeriodInDays", "is only given when keyRotationEnabled is true");
        }
    }
}
