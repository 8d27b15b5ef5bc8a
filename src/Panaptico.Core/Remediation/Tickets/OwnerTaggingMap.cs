using System.Net.Mail;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation.Tickets;

/// <summary>
/// How a ticket's owner is inferred from an asset's tags: the first of <paramref name="TagKeys"/> present on the
/// asset wins; its value is looked up in <paramref name="Addresses"/> (e.g. team <c>platform-security</c> →
/// <c>platform-security@acme.com</c>) or taken as is when it already is an address. No match: <paramref name="Fallback"/>.
/// </summary>
public sealed record OwnerTaggingMap(IReadOnlyList<string> TagKeys, IReadOnlyDictionary<string, string> Addresses, string Fallback)
{
    public OwnerInference Infer(IReadOnlyDictionary<string, string> tags)
    {
        foreach (var key in TagKeys)
        {
            if (TagCondition.FindTag(tags, key) is not { Length: > 0 } value)
            {
                continue;
            }
            var mapped = Addresses.FirstOrDefault(a => string.Equals(a.Key, value, StringComparison.OrdinalIgnoreCase)).Value;
            if (mapped is not null)
            {
                return new OwnerInference(mapped, $"tag {key}={value}");
            }
            if (MailAddress.TryCreate(value, out var address) && address.Address == value)
            {
                return new OwnerInference(value, $"tag {key}");
            }
        }
        return new OwnerInference(Fallback, "fallback");
    }
}

/// <summary>The owner's address and where it came from (recorded in the ledger, not on the ticket).</summary>
public sealed record OwnerInference(string Address, string Source);
