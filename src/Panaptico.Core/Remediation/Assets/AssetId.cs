using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Remediation.Assets;

public enum AssetKind
{
    BlobService,
    BlobContainer,
    S3Bucket,
    KmsKey,
}

/// <summary>Which cloud an asset lives in, and so which kind of connector reads and writes it.</summary>
public enum CloudProvider
{
    Azure,
    Aws,
}

/// <summary>
/// A storage account's blob service (<c>azure-blob://account</c>), one of its containers
/// (<c>azure-blob://account/container</c>), an S3 bucket (<c>s3://bucket</c>), or a customer-managed AWS KMS key
/// (<c>aws-kms://account/region/keyId</c>). One string form, used in tickets, ledger and table keys alike. S3 bucket
/// names are global, so a bucket's id names no account: the governed S3 account that serves it is the one whose bucket
/// prefix covers it. A KMS key id is unique only within its account and region, so its id names both.
/// </summary>
[JsonConverter(typeof(AssetIdJsonConverter))]
public sealed record AssetId
{
    public const string Scheme = "azure-blob://";
    public const string S3Scheme = "s3://";
    public const string KmsScheme = "aws-kms://";

    private AssetId(string account, string? container, string? bucket = null, string? region = null, string? keyId = null)
    {
        Account = account;
        Container = container;
        Bucket = bucket;
        Region = region;
        KeyId = keyId;
    }

    /// <summary>The Azure storage account, or the AWS account (12 digits) of a KMS key; empty for an S3 bucket.</summary>
    public string Account { get; }

    /// <summary>The Azure blob container, or null.</summary>
    public string? Container { get; }

    /// <summary>The S3 bucket, or null.</summary>
    public string? Bucket { get; }

    /// <summary>The AWS region of a KMS key, or null.</summary>
    public string? Region { get; }

    /// <summary>The KMS key id, or null.</summary>
    public string? KeyId { get; }

    public AssetKind Kind =>
        KeyId is not null ? AssetKind.KmsKey : Bucket is not null ? AssetKind.S3Bucket : Container is null ? AssetKind.BlobService : AssetKind.BlobContainer;

    public CloudProvider Provider => Bucket is not null || KeyId is not null ? CloudProvider.Aws : CloudProvider.Azure;

    /// <summary>The short name people read in an approval or close-out (the walkthrough's bucket name; a key by id and region).</summary>
    public string DisplayName => KeyId is not null ? $"KMS key {KeyId} ({Region})" : Bucket ?? Container ?? $"{Account} (blob service)";

    public static AssetId BlobService(string account) => new(CheckAccount(account), null);

    public static AssetId BlobContainer(string account, string container) =>
        new(CheckAccount(account), CheckContainer(container));

    public static AssetId S3Bucket(string bucket) =>
        IsBucketName(bucket) ? new("", null, bucket) : throw new ArgumentException($"'{bucket}' is not an S3 bucket name", nameof(bucket));

    /// <summary>A KMS key of an AWS account (12 digits) in a region (e.g. <c>us-east-1</c>).</summary>
    public static AssetId KmsKey(string awsAccount, string region, string keyId) =>
        IsAwsAccount(awsAccount) && IsRegion(region) && IsKeyId(keyId)
            ? new(awsAccount, null, null, region, keyId)
            : throw new ArgumentException($"'{awsAccount}/{region}/{keyId}' is not an AWS account, region and KMS key id", nameof(keyId));

    public static bool TryParse(string? text, [NotNullWhen(true)] out AssetId? asset)
    {
        asset = null;
        if (text is not null && text.StartsWith(KmsScheme, StringComparison.Ordinal))
        {
            var key = text[KmsScheme.Length..].Split('/');
            asset = key.Length == 3 && IsAwsAccount(key[0]) && IsRegion(key[1]) && IsKeyId(key[2]) ? new AssetId(key[0], null, null, key[1], key[2]) : null;
            return asset is not null;
        }
        if (text is not null && text.StartsWith(S3Scheme, StringComparison.Ordinal))
        {
            var bucket = text[S3Scheme.Length..];
            asset = IsBucketName(bucket) ? new AssetId("", null, bucket) : null;
            return asset is not null;
        }
        if (text is null || !text.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return false;
        }
        var parts = text[Scheme.Length..].Split('/');
        if (parts.Length is < 1 or > 2 || !IsAccountName(parts[0]) || (parts.Length == 2 && !IsContainerName(parts[1])))
        {
            return false;
        }
        asset = new AssetId(parts[0], parts.Length == 2 ? parts[1] : null);
        return true;
    }

    public static AssetId Parse(string text) =>
        TryParse(text, out var asset) ? asset : throw new FormatException($"'{text}' is not an asset id ({Scheme}account[/container], {S3Scheme}bucket or {KmsScheme}account/region/keyId)");

    public override string ToString() =>
        KeyId is not null ? $"{KmsScheme}{Account}/{Region}/{KeyId}"
        : Bucket is not null ? S3Scheme + Bucket : Container is null ? Scheme + Account : $"{Scheme}{Account}/{Container}";

    private static bool IsAwsAccount(string account) => account.Length == 12 && account.All(char.IsAsciiDigit);

    // e.g. us-east-1, eu-central-2, us-gov-west-1, ap-southeast-4.
    private static bool IsRegion(string region)
    {
        var parts = region.Split('-');
        return parts.Length >= 3 && parts[..^1].All(p => p.Length > 0 && p.All(char.IsAsciiLetterLower)) && parts[^1].Length > 0 && parts[^1].All(char.IsAsciiDigit);
    }

    // KMS key ids are UUIDs (or mrk-… for multi-Region keys): letters, digits and hyphens, never an alias or ARN here.
    private static bool IsKeyId(string keyId) =>
        keyId.Length is >= 1 and <= 64 && keyId.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    // S3: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
    private static bool IsBucketName(string name) =>
        name.Length is >= 3 and <= 63
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]) && !name.Contains("..", StringComparison.Ordinal);

    // Azure: 3-24 lowercase letters and digits (Azurite's devstoreaccount1 fits).
    private static bool IsAccountName(string name) =>
        name.Length is >= 3 and <= 24 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));

    // Azure: 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.
    private static bool IsContainerName(string name) =>
        name.Length is >= 3 and <= 63
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && name[0] != '-' && name[^1] != '-' && !name.Contains("--", StringComparison.Ordinal);

    private static string CheckAccount(string account) =>
        IsAccountName(account) ? account : throw new ArgumentException($"'{account}' is not a storage account name", nameof(account));

    private static string CheckContainer(string container) =>
        IsContainerName(container) ? container : throw new ArgumentException($"'{container}' is not a container name", nameof(container));
}

public sealed class AssetIdJsonConverter : JsonConverter<AssetId>
{
    public override AssetId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        AssetId.TryParse(reader.GetString(), out var asset) ? asset : throw new JsonException("not an asset id");

    public override void Write(Utf8JsonWriter writer, AssetId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
