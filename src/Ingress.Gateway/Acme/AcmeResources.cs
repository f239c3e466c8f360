using System.Text.Json.Serialization;

namespace Ingress.Gateway.Acme;

/// <summary>The directory (RFC 8555 §7.1.1): where each resource of the certificate authority is.</summary>
internal sealed record AcmeDirectory(Uri NewNonce, Uri NewAccount, Uri NewOrder, Uri? RevokeCert, Uri? KeyChange, AcmeDirectoryMeta? Meta);

/// <summary>The directory's optional metadata.</summary>
internal sealed record AcmeDirectoryMeta(Uri? TermsOfService, Uri? Website, bool ExternalAccountRequired);

/// <summary>The newAccount request (RFC 8555 §7.3).</summary>
internal sealed record AcmeAccountRequest(bool TermsOfServiceAgreed, IReadOnlyList<string>? Contact);

/// <summary>An account object (RFC 8555 §7.1.2); its URL is the <c>Location</c> of the newAccount answer.</summary>
internal sealed record AcmeAccount(string Status, IReadOnlyList<string>? Contact);

/// <summary>An identifier to certify (RFC 8555 §9.7.7); only the <c>dns</c> type is used here.</summary>
internal sealed record AcmeIdentifier(string Type, string Value)
{
    /// <summary>A DNS identifier.</summary>
    public static AcmeIdentifier Dns(string name) => new("dns", name);
}

/// <summary>The newOrder request (RFC 8555 §7.4).</summary>
internal sealed record AcmeOrderRequest(IReadOnlyList<AcmeIdentifier> Identifiers);

/// <summary>An order object (RFC 8555 §7.1.3).</summary>
internal sealed record AcmeOrder(
    string Status,
    DateTimeOffset? Expires,
    IReadOnlyList<AcmeIdentifier> Identifiers,
    IReadOnlyList<Uri> Authorizations,
    Uri Finalize,
    Uri? Certificate,
    AcmeProblem? Error);

/// <summary>The finalize request (RFC 8555 §7.4): the DER of a PKCS#10 CSR, base64url.</summary>
internal sealed record AcmeFinalizeRequest(string Csr);

/// <summary>An authorization object (RFC 8555 §7.1.4).</summary>
internal sealed record AcmeAuthorization(
    string Status,
    AcmeIdentifier Identifier,
    IReadOnlyList<AcmeChallenge> Challenges,
    DateTimeOffset? Expires,
    bool Wildcard);

/// <summary>A challenge object (RFC 8555 §7.1.5, §8).</summary>
internal sealed record AcmeChallenge(string Type, Uri Url, string Status, string? Token, AcmeProblem? Error);

/// <summary>The empty object a client posts to a challenge to say it is ready (RFC 8555 §7.5.1).</summary>
internal sealed record AcmeChallengeReady;

/// <summary>
/// An error document (RFC 7807 <c>application/problem+json</c>, RFC 8555 §6.7), with the subproblems of a request that
/// failed for several identifiers (§6.7.1).
/// </summary>
internal sealed record AcmeProblem(
    string? Type,
    string? Detail,
    int? Status,
    AcmeIdentifier? Identifier,
    IReadOnlyList<AcmeProblem>? Subproblems)
{
    /// <summary>The prefix of the error types RFC 8555 defines.</summary>
    public const string AcmeErrorPrefix = "urn:ietf:params:acme:error:";

    /// <summary>The type of a rejected anti-replay nonce, which a client retries with a fresh one.</summary>
    public const string BadNonce = AcmeErrorPrefix + "badNonce";
}

/// <summary>The status values of ACME objects that matter to the client.</summary>
internal static class AcmeStatus
{
    public const string Pending = "pending";
    public const string Ready = "ready";
    public const string Processing = "processing";
    public const string Valid = "valid";
    public const string Invalid = "invalid";
}

/// <summary>The protected header of an ACME JWS (RFC 8555 §6.2): <c>jwk</c> for newAccount, <c>kid</c> afterwards.</summary>
internal sealed record JwsProtectedHeader(string Alg, EcJwk? Jwk, string? Kid, string Nonce, string Url);

/// <summary>A JWS in the flattened JSON serialization (RFC 7515 §7.2.2), the only one ACME accepts.</summary>
internal sealed record FlattenedJws(
    [property: JsonPropertyName("protected")] string Protected,
    string Payload,
    string Signature);
