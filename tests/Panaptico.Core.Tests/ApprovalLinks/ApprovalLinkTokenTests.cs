using System.Security.Cryptography;
using System.Text;
using Panaptico.Core.ApprovalLinks;

namespace Panaptico.Core.Tests.ApprovalLinks;

public class ApprovalLinkTokenTests
{
    private static readonly DateTimeOffset Issued = new(2026, 4, 15, 3, 12, 49, TimeSpan.Zero);

    private static readonly ApprovalLinkClaims Claims = new(
        ApprovalLinkClaims.LinkIdFor("CHG-2026-0415-001", "domain-cost-owner", "nina.ramirez", new string('a', 64)),
        "CHG-2026-0415-001", "nina.ramirez", "Nina Ramirez", "domain-cost-owner", Issued, Issued.AddHours(1));

    [Fact]
    public void A_token_signed_by_a_key_reads_back_its_claims_and_key_and_verifies_with_that_key_only()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var token = Sign(key, Claims);

        Assert.True(ApprovalLinkToken.TryParse(token, out var parsed));
        Assert.Equal(("local-bundle-signing", "v1", Claims), (parsed.KeyId, parsed.KeyVersion, parsed.Claims));
        Assert.True(parsed.VerifiedBy(key));
        Assert.False(parsed.VerifiedBy(other));
    }

    [Fact]
    public void Changing_any_claim_breaks_the_signature()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = Sign(key, Claims);
        var parts = token.Split('.');
        var forged = ApprovalLinkToken.SigningInput("local-bundle-signing", "v1", Claims with { ExpiresAt = Issued.AddDays(30) }).Split('.')[1];

        Assert.True(ApprovalLinkToken.TryParse($"{parts[0]}.{forged}.{parts[2]}", out var parsed));
        Assert.False(parsed.VerifiedBy(key));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.b")]
    [InlineData("not.a.token")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.")]
    public void What_is_not_one_of_our_tokens_does_not_parse(string token) =>
        Assert.False(ApprovalLinkToken.TryParse(token, out _));

    [Fact]
    public void An_over_long_token_or_another_type_does_not_parse()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = Sign(key, Claims);
        var jwt = token.Replace(token.Split('.')[0], Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"alg":"ES256","typ":"JWT","kid":"k#1"}""")).TrimEnd('=').Replace('+', '-').Replace('/', '_'), StringComparison.Ordinal);

        Assert.False(ApprovalLinkToken.TryParse(new string('a', ApprovalLinkToken.MaxLength + 1), out _));
        Assert.False(ApprovalLinkToken.TryParse(jwt, out _));
    }

    [Fact]
    public void The_link_id_is_the_same_for_the_same_request_and_differs_for_another_approver_or_pack()
    {
        var id = ApprovalLinkClaims.LinkIdFor("CHG-2026-0415-001", "s", "nina.ramirez", new string('a', 64));

        Assert.Equal(id, ApprovalLinkClaims.LinkIdFor("CHG-2026-0415-001", "s", "nina.ramirez", new string('a', 64)));
        Assert.NotEqual(id, ApprovalLinkClaims.LinkIdFor("CHG-2026-0415-001", "s", "owen.price", new string('a', 64)));
        Assert.NotEqual(id, ApprovalLinkClaims.LinkIdFor("CHG-2026-0415-001", "s", "nina.ramirez", new string('b', 64)));
    }

    private static string Sign(ECDsa key, ApprovalLinkClaims claims)
    {
        var input = ApprovalLinkToken.SigningInput("local-bundle-signing", "v1", claims);
        return ApprovalLinkToken.Compose(input, key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }
}
