using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Ingress.Gateway.Acme;

/// <summary>
/// Signs ACME requests (RFC 8555 §6.2): a JWS (RFC 7515) in the flattened JSON serialization with ES256, whose protected
/// header carries the account's <c>jwk</c> (newAccount) or its URL as <c>kid</c> (everything after), plus the
/// <c>nonce</c> and the request <c>url</c>.
/// </summary>
internal static class Jws
{
    /// <summary>The media type of a signed ACME request.</summary>
    public const string MediaType = "application/jose+json";

    /// <summary>
    /// The JWS body of a request to <paramref name="url"/>. With <paramref name="kid"/> null the header carries the JWK;
    /// an empty <paramref name="payload"/> gives the empty payload of a POST-as-GET (RFC 8555 §6.3).
    /// </summary>
    public static byte[] Sign(AccountKey key, string? kid, string nonce, Uri url, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(nonce);
        ArgumentNullException.ThrowIfNull(url);
        var header = new JwsProtectedHeader("ES256", kid is null ? key.Jwk : null, kid, nonce, url.AbsoluteUri);
        var encodedHeader = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header, AcmeJsonContext.Default.JwsProtectedHeader));
        var encodedPayload = Base64Url.EncodeToString(payload);
        var signature = key.Sign(Encoding.ASCII.GetBytes(encodedHeader + "." + encodedPayload));
        var jws = new FlattenedJws(encodedHeader, encodedPayload, Base64Url.EncodeToString(signature));
        return JsonSerializer.SerializeToUtf8Bytes(jws, AcmeJsonContext.Default.FlattenedJws);
    }
}
