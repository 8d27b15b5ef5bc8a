using System.Collections.Immutable;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;

namespace Panaptico.Connectors.Kms;

/// <summary>A KMS key as the connector read it: who manages it, its state and spec, its aliases and tags.</summary>
public sealed record KmsKey(
    string KeyId,
    string Arn,
    string AccountId,
    string KeyManager,
    string KeyState,
    string KeySpec,
    string Origin,
    ImmutableArray<string> Aliases,
    IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>
    /// Why automatic rotation cannot apply, or null: only enabled, symmetric, customer-managed keys with key material
    /// from KMS rotate (AWS-managed keys rotate on their own; imported material and custom key stores do not).
    /// </summary>
    public string? NotRotatable =>
        KeyManager != "CUSTOMER" ? $"{KeyManager}-managed, not customer-managed"
        : KeySpec != "SYMMETRIC_DEFAULT" ? $"{KeySpec}, not symmetric"
        : Origin != "AWS_KMS" ? $"key material from {Origin}"
        : KeyState != "Enabled" ? $"key state {KeyState}"
        : null;
}

/// <summary>A key's rotation as KMS reports it; <see cref="Enabled"/> is null for a key that cannot rotate.</summary>
public sealed record KmsKeyRotation(KmsKey Key, bool? Enabled, int? PeriodInDays, DateTimeOffset? NextRotation);

/// <summary>A key outside the governed account, region or scope: the connector neither reads nor writes it.</summary>
public sealed class KmsKeyOutOfScopeException(string message) : Exception(message);

/// <summary>Automatic rotation asked of a key that cannot rotate (<see cref="KmsKey.NotRotatable"/>).</summary>
public sealed class KmsKeyNotRotatableException(string message) : Exception(message);

/// <summary>
/// AWS KMS through <c>AWSSDK.KeyManagementService</c>: lists keys (paged), describes them, reads and enables automatic
/// rotation, only ever on keys of the governed account and region inside the governed scope (<see cref="KmsOptions"/>).
/// Every key-level call describes the key first and refuses one out of scope before anything else is sent.
/// </summary>
public sealed class KmsConnector(IAmazonKeyManagementService kms, KmsOptions options)
{
    public const string Name = "aws-kms";

    private readonly KmsScope _governed = options.Scope;

    public KmsScope Governed => _governed;

    /// <summary>A client for the settings: the region's endpoint (or <see cref="KmsOptions.ServiceUrl"/>), SigV4 as service <c>kms</c>.</summary>
    public static IAmazonKeyManagementService CreateClient(KmsOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Region);
        var config = new AmazonKeyManagementServiceConfig();
        if (options.ServiceUrl is { Length: > 0 } url)
        {
            config.ServiceURL = url;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }

        return options.AccessKeyId is { Length: > 0 } accessKey
            ? new AmazonKeyManagementServiceClient(new BasicAWSCredentials(accessKey, options.SecretAccessKey), config)
            : new AmazonKeyManagementServiceClient(config);
    }

    /// <summary>Every key id in the account and region, page by page (ListKeys with Limit and Marker).</summary>
    public async IAsyncEnumerable<string> ListKeyIdsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? marker = null;
        do
        {
            var page = await kms.ListKeysAsync(new ListKeysRequest { Limit = options.PageSize, Marker = marker }, cancellationToken);
            foreach (var key in page.Keys ?? [])
            {
                yield return key.KeyId;
            }

            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);
    }

    /// <summary>
    /// The keys in the governed scope, narrowed to <paramref name="narrower"/> when given, in key id order; with
    /// <paramref name="withTags"/> every customer-managed key's tags are read (remediation's owner and production).
    /// </summary>
    public async Task<IReadOnlyList<KmsKey>> ListKeysInScopeAsync(KmsScope? narrower, CancellationToken cancellationToken, bool withTags = false)
    {
        var aliases = _governed.NeedsAliases || narrower?.NeedsAliases == true ? await AliasesAsync(cancellationToken) : null;
        var keys = new List<KmsKey>();
        await foreach (var keyId in ListKeyIdsAsync(cancellationToken))
        {
            var key = await ReadKeyAsync(keyId, aliases, withTags || narrower?.NeedsTags == true, cancellationToken);
            if (OutOfScope(key) is null && narrower?.Admits(key) != false)
            {
                keys.Add(key);
            }
        }

        return [.. keys.OrderBy(k => k.KeyId, StringComparer.Ordinal)];
    }

    /// <summary>One key (id, ARN or alias); refused when out of scope.</summary>
    public async Task<KmsKey> DescribeKeyAsync(string keyId, CancellationToken cancellationToken, bool withTags = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        var key = await ReadKeyAsync(keyId, aliases: null, tags: withTags, cancellationToken);
        return OutOfScope(key) is { } why ? throw new KmsKeyOutOfScopeException(why) : key;
    }

    /// <summary>A key's automatic rotation; a key that cannot rotate is answered with <c>Enabled = null</c>, nothing asked.</summary>
    public async Task<KmsKeyRotation> GetRotationAsync(string keyId, CancellationToken cancellationToken, bool withTags = false) =>
        await RotationOfAsync(await DescribeKeyAsync(keyId, cancellationToken, withTags), cancellationToken);

    /// <summary>
    /// Sets automatic rotation on with this period (absolute state): read first, written only when it differs, so
    /// running it again sends nothing. True when it wrote. A null period sends none: KMS's default, 365 days.
    /// </summary>
    public async Task<bool> EnableRotationAsync(string keyId, int? periodInDays, CancellationToken cancellationToken)
    {
        if (periodInDays is { } days)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(days, 90, nameof(periodInDays));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(days, 2560, nameof(periodInDays));
        }

        var (key, rotation) = await RotatableAsync(keyId, cancellationToken);
        if (rotation is { Enabled: true } && rotation.PeriodInDays == (periodInDays ?? DefaultRotationPeriodInDays))
        {
            return false;
        }

        await kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = key.KeyId, RotationPeriodInDays = periodInDays }, cancellationToken);
        return true;
    }

    /// <summary>Sets automatic rotation off (absolute state: read first, written only when on). True when it wrote.</summary>
    public async Task<bool> DisableRotationAsync(string keyId, CancellationToken cancellationToken)
    {
        var (key, rotation) = await RotatableAsync(keyId, cancellationToken);
        if (rotation.Enabled == false)
        {
            return false;
        }

        await kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = key.KeyId }, cancellationToken);
        return true;
    }

    /// <summary>KMS's rotation period when EnableKeyRotation names none.</summary>
    public const int DefaultRotationPeriodInDays = 365;

    // A key whose rotation may be changed: in scope (described first) and rotatable, with its rotation as read.
    private async Task<(KmsKey Key, KmsKeyRotation Rotation)> RotatableAsync(string keyId, CancellationToken cancellationToken)
    {
        var key = await DescribeKeyAsync(keyId, cancellationToken);
        if (key.NotRotatable is { } why)
        {
            throw new KmsKeyNotRotatableException($"{key.Arn} cannot rotate automatically: {why}");
        }

        return (key, await RotationOfAsync(key, cancellationToken));
    }

    /// <summary>Rotation of every key in scope (narrowed to <paramref name="narrower"/>).</summary>
    public async Task<IReadOnlyList<KmsKeyRotation>> ReadRotationAsync(KmsScope? narrower, CancellationToken cancellationToken, bool withTags = false)
    {
        var rotations = new List<KmsKeyRotation>();
        foreach (var key in await ListKeysInScopeAsync(narrower, cancellationToken, withTags))
        {
            rotations.Add(await RotationOfAsync(key, cancellationToken));
        }

        return rotations;
    }

    private async Task<KmsKeyRotation> RotationOfAsync(KmsKey key, CancellationToken cancellationToken)
    {
        if (key.NotRotatable is not null)
        {
            return new KmsKeyRotation(key, null, null, null);
        }

        var status = await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = key.KeyId }, cancellationToken);
        return new KmsKeyRotation(key, status.KeyRotationEnabled == true, status.RotationPeriodInDays,
            status.NextRotationDate is { } next ? new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc)) : null);
    }

    private async Task<KmsKey> ReadKeyAsync(string keyId, IReadOnlyDictionary<string, ImmutableArray<string>>? aliases, bool tags, CancellationToken cancellationToken)
    {
        var metadata = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId }, cancellationToken)).KeyMetadata;
        var key = new KmsKey(
            metadata.KeyId,
            metadata.Arn,
            metadata.AWSAccountId,
            metadata.KeyManager?.Value ?? "UNKNOWN",
            metadata.KeyState?.Value ?? "UNKNOWN",
            metadata.KeySpec?.Value ?? "UNKNOWN",
            metadata.Origin?.Value ?? "UNKNOWN",
            [],
            new Dictionary<string, string>());
        if (InOtherAccountOrRegion(key) is not null)
        {
            return key;
        }

        if (_governed.NeedsAliases || aliases is not null)
        {
            key = key with { Aliases = aliases is null ? await AliasesOfAsync(key.KeyId, cancellationToken) : aliases.GetValueOrDefault(key.KeyId, []) };
        }

        // AWS-managed keys carry no tags (and ListResourceTags on them is denied).
        if ((_governed.NeedsTags || tags) && key.KeyManager == "CUSTOMER")
        {
            key = key with { Tags = await TagsOfAsync(key.KeyId, cancellationToken) };
        }

        return key;
    }

    private string? InOtherAccountOrRegion(KmsKey key)
    {
        // arn:aws:kms:<region>:<account>:key/<id>
        var parts = key.Arn.Split(':');
        if (parts.Length < 6 || parts[2] != "kms")
        {
            return $"{key.Arn} is not a KMS key ARN";
        }

        if (!string.Equals(parts[3], options.Region, StringComparison.Ordinal))
        {
            return $"{key.Arn} is in region {parts[3]}; this connector governs {options.Region}";
        }

        return options.AccountId is { Length: > 0 } account && parts[4] != account
            ? $"{key.Arn} belongs to account {parts[4]}; this connector governs {account}"
            : null;
    }

    private string? OutOfScope(KmsKey key) =>
        InOtherAccountOrRegion(key) ?? (_governed.Admits(key) ? null : $"{key.Arn} is outside the governed key scope ({_governed})");

    private async Task<IReadOnlyDictionary<string, ImmutableArray<string>>> AliasesAsync(CancellationToken cancellationToken)
    {
        var byKey = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string? marker = null;
        do
        {
            var page = await kms.ListAliasesAsync(new ListAliasesRequest { Limit = options.PageSize, Marker = marker }, cancellationToken);
            foreach (var alias in page.Aliases ?? [])
            {
                if (alias.TargetKeyId is { } target)
                {
                    (byKey.TryGetValue(target, out var names) ? names : byKey[target] = []).Add(alias.AliasName);
                }
            }

            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);
        return byKey.ToDictionary(kv => kv.Key, kv => kv.Value.ToImmutableArray(), StringComparer.Ordinal);
    }

    private async Task<ImmutableArray<string>> AliasesOfAsync(string keyId, CancellationToken cancellationToken)
    {
        var names = ImmutableArray.CreateBuilder<string>();
        string? marker = null;
        do
        {
            var page = await kms.ListAliasesAsync(new ListAliasesRequest { KeyId = keyId, Limit = options.PageSize, Marker = marker }, cancellationToken);
            names.AddRange((page.Aliases ?? []).Select(a => a.AliasName));
            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);
        return names.ToImmutable();
    }

    private async Task<IReadOnlyDictionary<string, string>> TagsOfAsync(string keyId, CancellationToken cancellationToken)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        string? marker = null;
        do
        {
            var page = await kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = keyId, Marker = marker }, cancellationToken);
            foreach (var tag in page.Tags ?? [])
            {
                tags[tag.TagKey] = tag.TagValue;
            }

            marker = page.Truncated == true ? page.NextMarker : null;
        }
        while (marker is not null);
        return tags;
    }
}
