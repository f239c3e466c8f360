using System.Buffers.Text;
using System.Security.Cryptography;

namespace Ingress.Gateway.Acme;

/// <summary>
/// An ACME account key: ECDSA P-256 signing with SHA-256 (JWS <c>ES256</c>), its public JWK, and that JWK's RFC 7638
/// thumbprint, which HTTP-01 key authorizations end with.
/// </summary>
internal sealed class AccountKey : IDisposable
{
    /// <summary>The object identifier of the P-256 curve (secp256r1).</summary>
    private const string P256Oid = "1.2.840.10045.3.1.7";

    private readonly ECDsa _key;

    private AccountKey(ECDsa key)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        if (parameters.Curve.Oid?.Value != P256Oid && parameters.Curve.Oid?.FriendlyName is not ("nistP256" or "ECDSA_P256"))
        {
            key.Dispose();
            throw new ArgumentException("an ACME account key must be an ECDSA P-256 key (ES256).", nameof(key));
        }

        _key = key;
        Jwk = new EcJwk("P-256", "EC", Base64Url.EncodeToString(parameters.Q.X), Base64Url.EncodeToString(parameters.Q.Y));
        Thumbprint = JwkThumbprint.Of(Jwk);
    }

    /// <summary>The public key as a JWK (RFC 7517), with its members in the order RFC 7638 hashes them.</summary>
    public EcJwk Jwk { get; }

    /// <summary>The base64url SHA-256 thumbprint of <see cref="Jwk"/> (RFC 7638).</summary>
    public string Thumbprint { get; }

    /// <summary>A new random key.</summary>
    public static AccountKey Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>A key from its PEM (PKCS#8 or SEC1), as <see cref="ExportPem"/> wrote it.</summary>
    public static AccountKey FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch
        {
            key.Dispose();
            throw;
        }

        return new AccountKey(key);
    }

    /// <summary>The private key as PKCS#8 PEM, to keep the account across restarts.</summary>
    public string ExportPem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>The ES256 signature of <paramref name="data"/>: r and s, 32 bytes each, concatenated (RFC 7518 §3.4), not DER.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>The key authorization for a challenge token (RFC 8555 §8.1): <c>token "." thumbprint</c>.</summary>
    public string KeyAuthorization(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        return token + "." + Thumbprint;
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>The public JWK of an EC key; its members are declared in lexicographic order, as RFC 7638 requires for hashing.</summary>
/// <param name="Crv">The curve, <c>P-256</c>.</param>
/// <param name="Kty">The key type, <c>EC</c>.</param>
/// <param name="X">The x coordinate, base64url.</param>
/// <param name="Y">The y coordinate, base64url.</param>
internal sealed record EcJwk(string Crv, string Kty, string X, string Y);
