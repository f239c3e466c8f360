namespace Ingress.Gateway.Transport.Tls;

/// <summary>What every server context of the relay is made with, whatever its certificate.</summary>
/// <param name="Tls12Ciphers">The TLS 1.2 suites, in OpenSSL's names, in the server's order of preference.</param>
/// <param name="Tls13Suites">The TLS 1.3 suites, in OpenSSL's names, in the server's order of preference.</param>
/// <param name="SessionResumption">Whether returning clients may resume a session (TLS 1.3 tickets, TLS 1.2 session IDs and tickets).</param>
internal sealed record TlsContextOptions(string Tls12Ciphers, string Tls13Suites, bool SessionResumption);
