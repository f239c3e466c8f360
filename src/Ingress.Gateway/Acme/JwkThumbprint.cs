using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Ingress.Gateway.Acme;

/// <summary>
/// JWK thumbprints (RFC 7638): the SHA-256 of the key's required members only, sorted by name, with no white space,
/// base64url-encoded. Two JWKs of one key give one thumbprint whatever their member order, spacing or optional members.
/// </summary>
internal static class JwkThumbprint
{
    /// <summary>The thumbprint of an EC public key.</summary>
    public static string Of(EcJwk jwk)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        return Hash(Canonical([("crv", jwk.Crv), ("kty", jwk.Kty), ("x", jwk.X), ("y", jwk.Y)]));
    }

    /// <summary>The thumbprint of a JWK in any JSON form (EC, RSA or oct keys); throws <see cref="FormatException"/> when a required member is missing.</summary>
    public static string Of(string jwkJson)
    {
        ArgumentNullException.ThrowIfNull(jwkJson);
        using var document = JsonDocument.Parse(jwkJson);
        var root = document.RootElement;
        var kty = Member(root, "kty");
        // The required members of each key type (RFC 7638 §3.2), already in lexicographic order.
        string[] required = kty switch
        {
            "EC" => ["crv", "kty", "x", "y"],
            "RSA" => ["e", "kty", "n"],
            "oct" => ["k", "kty"],
            _ => throw new FormatException($"JWK key type '{kty}' has no thumbprint rule here."),
        };
        return Hash(Canonical([.. required.Select(name => (name, Member(root, name)))]));
    }

    /// <summary>The UTF-8 JSON that is hashed: the given members, in the given order, with no white space.</summary>
    internal static byte[] Canonical(IReadOnlyList<(string Name, string Value)> members)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in members)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string Hash(byte[] canonical) => Base64Url.EncodeToString(SHA256.HashData(canonical));

    private static string Member(JsonElement jwk, string name) =>
        jwk.ValueKind == JsonValueKind.Object && jwk.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"the JWK has no string member '{name}'.");
}
