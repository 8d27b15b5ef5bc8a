using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Remediation.Assets;

public enum AssetKind
{
    BlobService,
    BlobContainer,
}

/// <summary>
/// A storage account's blob service (<c>azure-blob://account</c>) or one of its containers
/// (<c>azure-blob://account/container</c>). One string form, used in tickets, ledger and table keys alike.
/// </summary>
[JsonConverter(typeof(AssetIdJsonConverter))]
public sealed record AssetId
{
    public const string Scheme = "azure-blob://";

    private AssetId(string account, string? container)
    {
        Account = account;
        Container = container;
    }

    public string Account { get; }

    public string? Container { get; }

    public AssetKind Kind => Container is null ? AssetKind.BlobService : AssetKind.BlobContainer;

    /// <summary>The short name people read in an approval or close-out (the walkthrough's bucket name).</summary>
    public string DisplayName => Container ?? $"{Account} (blob service)";

    public static AssetId BlobService(string account) => new(CheckAccount(account), null);

    public static AssetId BlobContainer(string account, string container) =>
        new(CheckAccount(account), CheckContainer(container));

    public static bool TryParse(string? text, [NotNullWhen(true)] out AssetId? asset)
    {
        asset = null;
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
        TryParse(text, out var asset) ? asset : throw new FormatException($"'{text}' is not an asset id ({Scheme}account[/container])");

    public override string ToString() => Container is null ? Scheme + Account : $"{Scheme}{Account}/{Container}";

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
