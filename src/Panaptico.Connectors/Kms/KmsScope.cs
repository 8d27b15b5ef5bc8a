using System.Collections.Immutable;

namespace Panaptico.Connectors.Kms;

/// <summary>
/// Which keys are in scope: listed by id or ARN, by alias prefix, or by tags (all must match). Any one of the three
/// admits a key; an empty scope admits none.
/// </summary>
public sealed record KmsScope(ImmutableHashSet<string> KeyIds, string? AliasPrefix, IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>The keys of a runbook step's scope: <c>keyIds</c> (comma-separated), <c>aliasPrefix</c>, <c>tag:&lt;key&gt;</c>.</summary>
    public const string KeyIdsKey = "keyIds";
    public const string AliasPrefixKey = "aliasPrefix";
    public const string TagKeyPrefix = "tag:";

    public bool IsEmpty => KeyIds.IsEmpty && string.IsNullOrEmpty(AliasPrefix) && Tags.Count == 0;

    public bool NeedsAliases => !string.IsNullOrEmpty(AliasPrefix);

    public bool NeedsTags => Tags.Count > 0;

    public bool Admits(KmsKey key) =>
        KeyIds.Contains(key.KeyId) || KeyIds.Contains(key.Arn)
        || (AliasPrefix is { Length: > 0 } prefix && key.Aliases.Any(a => a.StartsWith(prefix, StringComparison.Ordinal)))
        || (Tags.Count > 0 && Tags.All(t => key.Tags.TryGetValue(t.Key, out var value) && value == t.Value));

    /// <summary>"alias prefix alias/finance/", "tags domain=finance", "2 listed keys".</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (!KeyIds.IsEmpty)
        {
            parts.Add($"{KeyIds.Count} listed keys");
        }

        if (!string.IsNullOrEmpty(AliasPrefix))
        {
            parts.Add($"alias prefix {AliasPrefix}");
        }

        if (Tags.Count > 0)
        {
            parts.Add("tags " + string.Join(", ", Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")));
        }

        return parts.Count == 0 ? "nothing" : string.Join(" or ", parts);
    }

    /// <summary>A runbook step's scope; null with the problem when it names something else or nothing.</summary>
    public static KmsScope? Parse(IReadOnlyDictionary<string, string> scope, out string? problem)
    {
        var keyIds = ImmutableHashSet<string>.Empty;
        string? aliasPrefix = null;
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in scope)
        {
            if (name == KeyIdsKey)
            {
                keyIds = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            }
            else if (name == AliasPrefixKey && value.StartsWith("alias/", StringComparison.Ordinal))
            {
                aliasPrefix = value;
            }
            else if (name.StartsWith(TagKeyPrefix, StringComparison.Ordinal) && name.Length > TagKeyPrefix.Length)
            {
                tags[name[TagKeyPrefix.Length..]] = value;
            }
            else
            {
                problem = $"'{name}' is not a KMS scope: use {KeyIdsKey} (comma-separated ids or ARNs), {AliasPrefixKey} (alias/…) or {TagKeyPrefix}<tag key>";
                return null;
            }
        }

        var parsed = new KmsScope(keyIds, aliasPrefix, tags);
        problem = parsed.IsEmpty ? $"a KMS scope needs {KeyIdsKey}, {AliasPrefixKey} or a {TagKeyPrefix}<tag key>" : null;
        return problem is null ? parsed : null;
    }
}
