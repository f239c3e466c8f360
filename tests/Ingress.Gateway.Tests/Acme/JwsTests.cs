using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ingress.Gateway.Acme;

namespace Ingress.Gateway.Tests.Acme;

public sealed class JwsTests
{
    private static readonly Uri Url = new("https://ca.example/acme/new-order");

    [Fact]
    public void Base64Url_Rfc7515AppendixCExample_HasNoPaddingAndTheUrlAlphabet()
    {
        // RFC 7515 Appendix C: the octets 3, 236, 255, 224, 193 encode as "A-z_4ME" (standard base64: "A+z/4ME=").
        byte[] octets = [3, 236, 255, 224, 193];

        Assert.Equal("A-z_4ME", Base64Url.EncodeToString(octets));
        Assert.Equal(octets, Base64Url.DecodeFromChars("A-z_4ME"));
    }

    [Fact]
    public void Sign_WithoutKid_IsAFlattenedJwsWhoseHeaderCarriesTheJwkNonceAndUrl()
    {
        using var key = AccountKey.Create();
        var payload = """{"termsOfServiceAgreed":true}"""u8.ToArray();

        var jws = ParsedJws.From(Jws.Sign(key, kid: null, "nonce-1", Url, payload));

        Assert.Equal(["payload", "protected", "signature"], jws.Members.Order(StringComparer.Ordinal));
        Assert.Equal("ES256", jws.Header.GetProperty("alg").GetString());
        Assert.Equal("nonce-1", jws.Header.GetProperty("nonce").GetString());
        Assert.Equal(Url.AbsoluteUri, jws.Header.GetProperty("url").GetString());
        Assert.False(jws.Header.TryGetProperty("kid", out _));
        var jwk = jws.Header.GetProperty("jwk");
        Assert.Equal(["crv", "kty", "x", "y"], jwk.EnumerateObject().Select(p => p.Name));
        Assert.Equal(key.Jwk, new EcJwk(jwk.GetProperty("crv").GetString()!, jwk.GetProperty("kty").GetString()!, jwk.GetProperty("x").GetString()!, jwk.GetProperty("y").GetString()!));
        Assert.Equal(payload, jws.Payload);
        Assert.True(jws.VerifiesWith(jwk), "the signature verifies with the JWK in the header");
    }

    [Fact]
    public void Sign_WithKid_CarriesTheAccountUrlAndNoJwk()
    {
        using var key = AccountKey.Create();

        var jws = ParsedJws.From(Jws.Sign(key, "https://ca.example/acme/acct/7", "nonce-2", Url, "{}"u8));

        Assert.Equal("https://ca.example/acme/acct/7", jws.Header.GetProperty("kid").GetString());
        Assert.False(jws.Header.TryGetProperty("jwk", out _));
        Assert.Equal(["alg", "kid", "nonce", "url"], jws.Header.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.True(jws.VerifiesWith(key.Jwk));
    }

    [Fact]
    public void Sign_EmptyPayload_IsAPostAsGetWithAnEmptyPayloadMember()
    {
        using var key = AccountKey.Create();

        var jws = ParsedJws.From(Jws.Sign(key, "https://ca.example/acme/acct/7", "n", Url, []));

        Assert.Equal("", jws.EncodedPayload);
        Assert.True(jws.VerifiesWith(key.Jwk));
    }

    [Fact]
    public void Sign_Signature_IsRawRAndS64BytesOverProtectedDotPayload_AndFailsOnAnyChange()
    {
        using var key = AccountKey.Create();
        var jws = ParsedJws.From(Jws.Sign(key, "kid", "n", Url, "{\"a\":1}"u8));

        Assert.Equal(64, jws.Signature.Length);
        // The compact serialization of the same JWS (RFC 7515 §7.1) verifies the same way.
        var compact = $"{jws.EncodedHeader}.{jws.EncodedPayload}.{Base64Url.EncodeToString(jws.Signature)}";
        var parts = compact.Split('.');
        Assert.True(Verify(key.Jwk, $"{parts[0]}.{parts[1]}", Base64Url.DecodeFromChars(parts[2])));
        Assert.False(Verify(key.Jwk, $"{parts[0]}.{Base64Url.EncodeToString("{\"a\":2}"u8)}", Base64Url.DecodeFromChars(parts[2])), "a changed payload fails");
        using var other = AccountKey.Create();
        Assert.False(Verify(other.Jwk, $"{parts[0]}.{parts[1]}", Base64Url.DecodeFromChars(parts[2])), "another key fails");
        Assert.DoesNotContain('=', compact);
        Assert.DoesNotContain('+', compact);
        Assert.DoesNotContain('/', compact);
    }

    [Fact]
    public void Sign_SameInputTwice_GivesDifferentSignaturesThatBothVerify()
    {
        // ECDSA signatures are randomized: a fixed expected signature would prove nothing; verification does.
        using var key = AccountKey.Create();

        var first = ParsedJws.From(Jws.Sign(key, "kid", "n", Url, "{}"u8));
        var second = ParsedJws.From(Jws.Sign(key, "kid", "n", Url, "{}"u8));

        Assert.NotEqual(first.Signature, second.Signature);
        Assert.True(first.VerifiesWith(key.Jwk) && second.VerifiesWith(key.Jwk));
    }

    /// <summary>Verifies an ES256 signature with a public key built from the JWK's coordinates alone.</summary>
    internal static bool Verify(EcJwk jwk, string signingInput, byte[] signature)
    {
        using var publicKey = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64Url.DecodeFromChars(jwk.X), Y = Base64Url.DecodeFromChars(jwk.Y) },
        });
        return publicKey.VerifyData(Encoding.ASCII.GetBytes(signingInput), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}

/// <summary>A flattened JSON JWS taken apart independently of the code that made it.</summary>
internal sealed record ParsedJws(string[] Members, string EncodedHeader, JsonElement Header, string EncodedPayload, byte[] Payload, byte[] Signature)
{
    public static ParsedJws From(byte[] body)
    {
        var root = JsonDocument.Parse(body).RootElement;
        var encodedHeader = root.GetProperty("protected").GetString()!;
        var encodedPayload = root.GetProperty("payload").GetString()!;
        return new ParsedJws(
            [.. root.EnumerateObject().Select(p => p.Name)],
            encodedHeader,
            JsonDocument.Parse(Base64Url.DecodeFromChars(encodedHeader)).RootElement,
            encodedPayload,
            Base64Url.DecodeFromChars(encodedPayload),
            Base64Url.DecodeFromChars(root.GetProperty("signature").GetString()!));
    }

    public string Nonce => Header.GetProperty("nonce").GetString()!;

    public bool VerifiesWith(EcJwk jwk) => JwsTests.Verify(jwk, EncodedHeader + "." + EncodedPayload, Signature);

    public bool VerifiesWith(JsonElement jwk) =>
        VerifiesWith(new EcJwk(jwk.GetProperty("crv").GetString()!, jwk.GetProperty("kty").GetString()!, jwk.GetProperty("x").GetString()!, jwk.GetProperty("y").GetString()!));
}
