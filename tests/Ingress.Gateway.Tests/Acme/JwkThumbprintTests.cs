using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Ingress.Gateway.Acme;

namespace Ingress.Gateway.Tests.Acme;

public sealed class JwkThumbprintTests
{
    /// <summary>The RSA key of RFC 7638 §3.1, whose thumbprint the RFC gives.</summary>
    private const string RfcModulus =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    [Fact]
    public void Of_Rfc7638Example_GivesTheRfcsThumbprint()
    {
        // As printed in the RFC: members out of order, white space, and optional members that must not count.
        var jwk = $$"""
            {
              "kty": "RSA",
              "n": "{{RfcModulus}}",
              "e": "AQAB",
              "alg": "RS256",
              "kid": "2011-04-29"
            }
            """;

        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", JwkThumbprint.Of(jwk));
    }

    [Fact]
    public void Of_EcKey_IsTheSha256OfTheHandWrittenCanonicalJson()
    {
        using var key = AccountKey.Create();
        var canonical = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"" + key.Jwk.X + "\",\"y\":\"" + key.Jwk.Y + "\"}";

        var expected = Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

        Assert.Equal(expected, key.Thumbprint);
        Assert.Equal(expected, JwkThumbprint.Of(key.Jwk));
        Assert.Equal(43, key.Thumbprint.Length);
    }

    [Fact]
    public void Of_EcJwkInAnyMemberOrderOrSpacingOrWithOptionalMembers_GivesTheSameThumbprint()
    {
        using var key = AccountKey.Create();
        var reordered = $$"""
            { "y" : "{{key.Jwk.Y}}",
              "use": "sig", "x":"{{key.Jwk.X}}",
                "kty":"EC", "crv":   "P-256", "kid": "whatever" }
            """;

        Assert.Equal(key.Thumbprint, JwkThumbprint.Of(reordered));
    }

    [Fact]
    public void Of_OtherKeyOrChangedCoordinate_GivesAnotherThumbprint()
    {
        using var key = AccountKey.Create();
        using var other = AccountKey.Create();

        Assert.NotEqual(key.Thumbprint, other.Thumbprint);
        Assert.NotEqual(key.Thumbprint, JwkThumbprint.Of(key.Jwk with { X = other.Jwk.X }));
    }

    [Theory]
    [InlineData("""{"kty":"EC","crv":"P-256","x":"AA"}""", "'y'")]
    [InlineData("""{"crv":"P-256","x":"AA","y":"AA"}""", "'kty'")]
    [InlineData("""{"kty":"RSA","n":"AA"}""", "'e'")]
    [InlineData("""{"kty":"OKP","crv":"Ed25519","x":"AA"}""", "'OKP'")]
    public void Of_JwkMissingARequiredMember_ThrowsNamingIt(string jwk, string named)
    {
        var error = Assert.Throws<FormatException>(() => JwkThumbprint.Of(jwk));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyAuthorization_IsTheTokenDotTheThumbprint()
    {
        using var key = AccountKey.Create();

        Assert.Equal("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA." + key.Thumbprint, key.KeyAuthorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"));
    }

    [Fact]
    public void FromPem_ExportedKey_IsTheSameKey()
    {
        using var key = AccountKey.Create();

        using var again = AccountKey.FromPem(key.ExportPem());

        Assert.Equal(key.Jwk, again.Jwk);
        Assert.Equal(key.Thumbprint, again.Thumbprint);
        Assert.True(JwsTests.Verify(key.Jwk, "a.b", again.Sign("a.b"u8)), "a signature of the reloaded key verifies with the original's JWK");
    }

    [Fact]
    public void FromPem_KeyOnAnotherCurve_IsRefused()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        var error = Assert.Throws<ArgumentException>(() => AccountKey.FromPem(p384.ExportPkcs8PrivateKeyPem()));

        Assert.Contains("P-256", error.Message, StringComparison.Ordinal);
    }
}
