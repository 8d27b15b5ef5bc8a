using System.Text.Json.Serialization;

namespace Panaptico.Core.Remediation.Assets;

/// <summary>
/// A customer-managed AWS KMS key as remediation governs it: what KMS reports of it (<c>DescribeKey</c>'s
/// <c>KeyManager</c>, <c>KeyState</c>, <c>KeySpec</c>, <c>Origin</c>), its aliases and tags, and its automatic rotation
/// (<c>GetKeyRotationStatus</c>). <see cref="RotationEnabled"/> is null for a key that cannot rotate automatically
/// (<see cref="NotRotatable"/>); <see cref="RotationPeriodInDays"/> only when rotation is on.
/// </summary>
public sealed record KmsKeyState(
    AssetId Id,
    string Arn,
    string KeyManager,
    string KeyState,
    string KeySpec,
    string Origin,
    IReadOnlyList<string> Aliases,
    IReadOnlyDictionary<string, string> Tags,
    bool? RotationEnabled,
    int? RotationPeriodInDays) : AssetState(Id)
{
    public const string CustomerManaged = "CUSTOMER";

    [JsonIgnore]
    public override IReadOnlyDictionary<string, string> OwnTags => Tags;

    /// <summary>
    /// Why automatic rotation cannot apply, or null: only enabled, symmetric, customer-managed keys with key material
    /// from KMS rotate (AWS-managed keys rotate on their own; imported material and custom key stores do not).
    /// </summary>
    [JsonIgnore]
    public string? NotRotatable =>
        KeyManager != CustomerManaged ? $"{KeyManager}-managed, not customer-managed"
        : KeySpec != "SYMMETRIC_DEFAULT" ? $"{KeySpec}, not symmetric"
        : Origin != "AWS_KMS" ? $"key material from {Origin}"
        : KeyState != "Enabled" ? $"key state {KeyState}"
        : null;
}

/// <summary>What one scan read from a governed KMS account and region: its customer-managed keys in the governed scope.</summary>
public sealed record KmsAccountState(
    string Account,
    IReadOnlyDictionary<string, string> AccountTags,
    IReadOnlyList<KmsKeyState> Keys,
    DateTimeOffset ReadAt) : AccountScan(Account, AccountTags, ReadAt)
{
    public override IEnumerable<AssetState> Assets => Keys;
}

/// <summary>A write on a KMS key; rendered as an <c>aws kms</c> command (<see cref="AwsCli"/>), executed by the KMS connector.</summary>
public abstract record KmsOperation(AssetId Asset) : StorageOperation(Asset)
{
    private protected KmsKeyState Key(AssetState state) => Expect<KmsKeyState>(state, Asset);
}

/// <summary>
/// Turns automatic rotation on (<c>EnableKeyRotation</c>, with KMS's default period of 365 days when
/// <paramref name="PeriodInDays"/> is null) or off (<c>DisableKeyRotation</c>): absolute state either way.
/// </summary>
public sealed record SetKeyRotation(AssetId Asset, bool Enabled, int? PeriodInDays = null) : KmsOperation(Asset)
{
    /// <summary>KMS's rotation period when EnableKeyRotation names none.</summary>
    public const int DefaultPeriodInDays = 365;

    public override AssetState ApplyTo(AssetState state) => Enabled
        ? Key(state) with { RotationEnabled = true, RotationPeriodInDays = PeriodInDays ?? DefaultPeriodInDays }
        : Key(state) with { RotationEnabled = false, RotationPeriodInDays = null };
}
