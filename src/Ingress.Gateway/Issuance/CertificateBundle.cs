using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ingress.Gateway.Issuance;

/// <summary>
/// What a manager gateway hands the other gateways over the (sealed) control channel: the certificates it holds, each
/// file as kept (the chain and its key), and, from the issuing gateway, its ACME account's thumbprint, with which any
/// gateway answers an HTTP-01 validation (RFC 8555 §8.3: the key authorization is the token and that thumbprint).
/// </summary>
/// <param name="Issuer">Whether the gateway that sent it orders the swarm's certificates.</param>
/// <param name="AccountThumbprint">The issuing gateway's account key thumbprint (public); null from any other.</param>
/// <param name="Files">The certificate files it holds.</param>
internal sealed record CertificateBundle(bool Issuer, string? AccountThumbprint, IReadOnlyList<CertificateBundleFile> Files)
{
    /// <summary>The bundle as JSON.</summary>
    public byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes(this, CertificateBundleJsonContext.Default.CertificateBundle);

    /// <summary>Reads what <see cref="Encode"/> wrote; throws <see cref="JsonException"/> on anything else.</summary>
    public static CertificateBundle Decode(byte[] json) =>
        JsonSerializer.Deserialize(json, CertificateBundleJsonContext.Default.CertificateBundle) ?? throw new JsonException("the certificate bundle is empty.");
}

/// <summary>One certificate file: its name in the storage folder and its PEM text (the chain, then the key).</summary>
internal sealed record CertificateBundleFile(string Name, string Pem);

/// <summary>Compile-time JSON metadata for <see cref="CertificateBundle"/> (the gateway is published as Native AOT).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(CertificateBundle))]
internal sealed partial class CertificateBundleJsonContext : JsonSerializerContext;
