namespace Panaptico.Connectors.Kms;

/// <summary>
/// Settings under <c>Kms:</c>: which AWS account and region the app governs, how to reach KMS, and the keys in scope.
/// A key is in scope when it is in <see cref="KeyIds"/>, has an alias starting with <see cref="AliasPrefix"/>, or carries
/// every tag in <see cref="Tags"/>; with none of the three set nothing is in scope.
/// </summary>
public sealed class KmsOptions
{
    public const string Section = "Kms";

    /// <summary>e.g. us-east-1; unset: no KMS connector (tasks declaring a <c>kms.rotation</c> check are refused).</summary>
    public string? Region { get; set; }

    /// <summary>Keys of any other account are refused (from their ARN); unset: the account the credentials belong to.</summary>
    public string? AccountId { get; set; }

    /// <summary>Another endpoint (a VPC endpoint, or the local fake); unset: the region's public endpoint.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>An access key pair; unset: the AWS SDK's default credential chain (environment, profile, web identity).</summary>
    public string? AccessKeyId { get; set; }

    public string? SecretAccessKey { get; set; }

    /// <summary>ListKeys / ListAliases page size (KMS allows 1–1000; its default is 100).</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>Key ids or key ARNs in scope.</summary>
    public IList<string> KeyIds { get; set; } = [];

    /// <summary>e.g. <c>alias/finance/</c>.</summary>
    public string? AliasPrefix { get; set; }

    /// <summary>e.g. <c>domain = finance</c>: a key must carry all of them.</summary>
    public IDictionary<string, string> Tags { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Region);

    public KmsScope Scope => new([.. KeyIds], AliasPrefix, Tags.ToDictionary(StringComparer.Ordinal));
}
