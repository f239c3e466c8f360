using System.Net.Security;

namespace Ingress.Gateway.Tls;

/// <summary>
/// The cipher suites the TLS entry ports offer, in the server's order, for both of the gateway's TLS stacks: the
/// relay's OpenSSL contexts (by OpenSSL's names) and Kestrel's SslStream (by IANA number).
/// </summary>
/// <remarks>
/// Mozilla's "intermediate" set: AEAD with forward secrecy only (no CBC, no RSA key exchange, no SHA-1).
/// </remarks>
internal static class TlsSuites
{
    private static readonly (TlsCipherSuite Suite, string OpenSslName, bool Tls13)[] s_suites =
    [
        (TlsCipherSuite.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", true),
        (TlsCipherSuite.TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", true),
        (TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256", true),
        (TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256", false),
        (TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256", false),
        (TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384", false),
        (TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384", false),
        (TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305", false),
        (TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305", false),
    ];

    /// <summary>Every suite, by IANA number, TLS 1.3 first.</summary>
    public static IReadOnlyList<TlsCipherSuite> All { get; } = [.. s_suites.Select(s => s.Suite)];

    /// <summary>The TLS 1.3 suites, as <c>SSL_CTX_set_ciphersuites</c> takes them.</summary>
    public static string OpenSslTls13 { get; } = string.Join(':', s_suites.Where(s => s.Tls13).Select(s => s.OpenSslName));

    /// <summary>The TLS 1.2 suites, as <c>SSL_CTX_set_cipher_list</c> takes them.</summary>
    public static string OpenSslTls12 { get; } = string.Join(':', s_suites.Where(s => !s.Tls13).Select(s => s.OpenSslName));
}
