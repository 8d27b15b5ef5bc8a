using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Remediation.Assets;

public enum S3Versioning
{
    /// <summary>Never enabled on the bucket.</summary>
    Off,
    Enabled,
    Suspended,
}

/// <summary>
/// An S3 bucket's governed settings. An element is null when it was not read: the endpoint does not implement it
/// (OpenStack Swift's s3api answers 501 for public access block and policy and fakes tagging), or a backup that
/// captures one element only (the ACL snapshot). Patterns do not judge what was not read.
/// </summary>
public sealed record S3BucketState(
    AssetId Id,
    BucketAcl? Acl,
    IReadOnlyDictionary<string, string>? Tags,
    S3PublicAccessBlock? PublicAccessBlock,
    S3BucketPolicy? Policy,
    S3Versioning? Versioning) : AssetState(Id)
{
    [JsonIgnore]
    public string Name => Id.Bucket!;

    [JsonIgnore]
    public override IReadOnlyDictionary<string, string> OwnTags => Tags ?? new Dictionary<string, string>();
}

/// <summary>The bucket's owner and its grants, in the order the service returned them (so a restore is exact).</summary>
public sealed record BucketAcl(BucketOwner Owner, IReadOnlyList<AclGrant> Grants)
{
    public const string AllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
    public const string AuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    public const string LogDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery";

    /// <summary>What the canned ACL <c>private</c> leaves: the owner with FULL_CONTROL.</summary>
    public static BucketAcl Private(BucketOwner owner) =>
        new(owner, [new AclGrant(AclGrantee.CanonicalUser(owner.Id, owner.DisplayName), AclPermission.FullControl)]);

    /// <summary>
    /// The grants as people read them (<c>bucket-owner, FULL_CONTROL</c>), in one canonical order: the owner's first,
    /// then by grantee and permission. Verification compares this form, so a server's own grant order does not matter.
    /// </summary>
    public IReadOnlyList<string> Describe() =>
        [.. Grants.Select(g => (Owner: g.Grantee.Id == Owner.Id ? 0 : 1, Text: $"{g.Grantee.Label(Owner.Id)}, {g.Permission}"))
            .Distinct()
            .OrderBy(g => g.Owner).ThenBy(g => g.Text, StringComparer.Ordinal)
            .Select(g => g.Text)];

    /// <summary>The grants in the walkthrough's words: <c>1 grant (bucket-owner, FULL_CONTROL)</c>.</summary>
    public string Summary()
    {
        var grants = Describe();
        return $"{grants.Count} grant{(grants.Count == 1 ? "" : "s")} ({string.Join("; ", grants)})";
    }

    /// <summary>
    /// The ACL as the AWS CLI's <c>--access-control-policy file://…</c> reads it (and <c>get-bucket-acl</c> prints it):
    /// <c>{"Owner":{…},"Grants":[{"Grantee":{…,"Type":…},"Permission":…}]}</c>, indented, LF line ends.
    /// </summary>
    public byte[] ToAccessControlPolicyJson()
    {
        var document = new JsonObject
        {
            [nameof(Owner)] = Optional(new JsonObject { ["DisplayName"] = Owner.DisplayName, ["ID"] = Owner.Id }),
            [nameof(Grants)] = new JsonArray([.. Grants.Select(g => (JsonNode)new JsonObject
            {
                ["Grantee"] = Optional(new JsonObject
                {
                    ["DisplayName"] = g.Grantee.DisplayName,
                    ["EmailAddress"] = g.Grantee.EmailAddress,
                    ["ID"] = g.Grantee.Id,
                    ["Type"] = g.Grantee.Type,
                    ["URI"] = g.Grantee.Uri,
                }),
                ["Permission"] = g.Permission,
            })]),
        };
        var text = document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";
        return System.Text.Encoding.UTF8.GetBytes(text);
    }

    public static BucketAcl FromAccessControlPolicyJson(ReadOnlySpan<byte> json)
    {
        var document = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("an access control policy is a JSON object");
        var owner = document[nameof(Owner)] as JsonObject ?? throw new JsonException("the access control policy has no Owner");
        return new BucketAcl(
            new BucketOwner(Text(owner, "ID") ?? throw new JsonException("the Owner has no ID"), Text(owner, "DisplayName")),
            [.. (document[nameof(Grants)] as JsonArray ?? []).Select(g => g is JsonObject { } grant && grant["Grantee"] is JsonObject grantee
                ? new AclGrant(
                    new AclGrantee(Text(grantee, "Type") ?? throw new JsonException("a Grantee has no Type"),
                        Text(grantee, "ID"), Text(grantee, "URI"), Text(grantee, "EmailAddress"), Text(grantee, "DisplayName")),
                    Text(grant, "Permission") ?? throw new JsonException("a grant has no Permission"))
                : throw new JsonException("a grant has no Grantee"))]);
    }

    private static JsonObject Optional(JsonObject members)
    {
        foreach (var key in members.Where(m => m.Value is null).Select(m => m.Key).ToList())
        {
            members.Remove(key);
        }
        return members;
    }

    private static string? Text(JsonObject node, string name) => node[name]?.GetValue<string>();
}

public sealed record BucketOwner(string Id, string? DisplayName);

/// <summary>One ACL grant; <see cref="Permission"/> is S3's word (FULL_CONTROL, READ, WRITE, READ_ACP, WRITE_ACP).</summary>
public sealed record AclGrant(AclGrantee Grantee, string Permission)
{
    /// <summary>A grant to everyone on the internet, or to any AWS account holder.</summary>
    [JsonIgnore]
    public bool IsPublic => Grantee.Uri is BucketAcl.AllUsers or BucketAcl.AuthenticatedUsers;
}

public static class AclPermission
{
    public const string FullControl = "FULL_CONTROL";
    public const string Read = "READ";
    public const string Write = "WRITE";
    public const string ReadAcp = "READ_ACP";
    public const string WriteAcp = "WRITE_ACP";
}

/// <summary>A grantee: a canonical user (<see cref="Id"/>), a group (<see cref="Uri"/>) or an e-mail address.</summary>
public sealed record AclGrantee(string Type, string? Id, string? Uri, string? EmailAddress, string? DisplayName)
{
    public static AclGrantee CanonicalUser(string id, string? displayName = null) => new("CanonicalUser", id, null, null, displayName);

    public static AclGrantee Group(string uri) => new("Group", null, uri, null, null);

    /// <summary>The walkthrough's names: <c>bucket-owner</c>, <c>AllUsers</c>, <c>log-delivery</c>; others by id, group or address.</summary>
    public string Label(string ownerId) => this switch
    {
        { Id: { } id } when id == ownerId => "bucket-owner",
        { Uri: BucketAcl.AllUsers } => "AllUsers",
        { Uri: BucketAcl.AuthenticatedUsers } => "AuthenticatedUsers",
        { Uri: BucketAcl.LogDelivery } => "log-delivery",
        { Id: { } id } => $"id={id}",
        { Uri: { } uri } => $"uri={uri}",
        _ => $"emailAddress={EmailAddress}",
    };
}

/// <summary>The bucket's public access block; a bucket with none configured reads as all four off.</summary>
public sealed record S3PublicAccessBlock(bool BlockPublicAcls, bool IgnorePublicAcls, bool BlockPublicPolicy, bool RestrictPublicBuckets)
{
    public static readonly S3PublicAccessBlock AllOn = new(true, true, true, true);

    public static readonly S3PublicAccessBlock AllOff = new(false, false, false, false);

    [JsonIgnore]
    public bool IsAllOn => this == AllOn;

    /// <summary>The AWS CLI shorthand, which is also how evidence shows it.</summary>
    public override string ToString() =>
        $"BlockPublicAcls={Flag(BlockPublicAcls)},IgnorePublicAcls={Flag(IgnorePublicAcls)},BlockPublicPolicy={Flag(BlockPublicPolicy)},RestrictPublicBuckets={Flag(RestrictPublicBuckets)}";

    private static string Flag(bool on) => on ? "true" : "false";
}

/// <summary>The bucket policy document as the service returned it; <see cref="Document"/> is null when the bucket has none.</summary>
public sealed record S3BucketPolicy(string? Document)
{
    public static readonly S3BucketPolicy None = new((string?)null);

    /// <summary>The document in one form for comparison (parsed and written back compact), or <c>none</c>.</summary>
    public string Canonical() => Document is null ? "none" : JsonNode.Parse(Document)!.ToJsonString();

    /// <summary>The <c>Statement</c> entries, whether the document holds one object or an array.</summary>
    public IReadOnlyList<JsonObject> Statements()
    {
        if (Document is null)
        {
            return [];
        }
        return JsonNode.Parse(Document)?["Statement"] switch
        {
            JsonArray array => [.. array.OfType<JsonObject>()],
            JsonObject single => [single],
            _ => [],
        };
    }

    /// <summary>An Allow statement for everyone (<c>"Principal": "*"</c> or <c>{"AWS": "*"}</c>) without a condition narrowing it.</summary>
    public static bool GrantsEveryone(JsonObject statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        if (!string.Equals(statement["Effect"]?.GetValue<string>(), "Allow", StringComparison.Ordinal) || statement.ContainsKey("Condition"))
        {
            return false;
        }
        return statement["Principal"] switch
        {
            JsonValue value => value.GetValue<string>() == "*",
            JsonObject principal => principal["AWS"] switch
            {
                JsonValue aws => aws.GetValue<string>() == "*",
                JsonArray awsList => awsList.Any(a => a?.GetValue<string>() == "*"),
                _ => false,
            },
            _ => false,
        };
    }
}

/// <summary>What one scan read from a governed S3 account: its buckets (those under the account's bucket prefix).</summary>
public sealed record S3AccountState(
    string Account,
    IReadOnlyDictionary<string, string> AccountTags,
    IReadOnlyList<S3BucketState> Buckets,
    DateTimeOffset ReadAt) : AccountScan(Account, AccountTags, ReadAt)
{
    public override IEnumerable<AssetState> Assets => Buckets;
}
