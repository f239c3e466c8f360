using System.Net;

namespace Ingress.Testing.Acme;

/// <summary>Where a <see cref="PebbleHost"/> listens, whom its validations reach, and what pebble is told besides.</summary>
/// <remarks>
/// Defaults: pebble on 127.0.0.1, every A query answered with 127.0.0.1 (AAAA with nothing), and free loopback ports
/// for the directory, the management interface, HTTP-01 and TLS-ALPN-01; pebble's own certificate validity; no
/// environment beyond <c>PEBBLE_VA_NOSLEEP=1</c>, so pebble rejects 5% of nonces as it does unless told otherwise.
/// </remarks>
public sealed record PebbleOptions
{
    /// <summary>The address pebble's directory and management interface listen on, and its TLS certificate names.</summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.Loopback;

    /// <summary>The IPv4 address pebble's DNS server gives for every name: where its VA fetches the HTTP-01 answers.</summary>
    public IPAddress ValidatedAddress { get; init; } = IPAddress.Loopback;

    /// <summary>The port pebble's VA fetches HTTP-01 answers from (its config's <c>httpPort</c>); null for a free one.</summary>
    public int? HttpPort { get; init; }

    /// <summary>The port pebble's VA would validate TLS-ALPN-01 on (its config's <c>tlsPort</c>); null for a free one.</summary>
    public int? TlsAlpnPort { get; init; }

    /// <summary>The ACME directory's port; null for a free one.</summary>
    public int? AcmePort { get; init; }

    /// <summary>The management interface's port (roots, intermediates); null for a free one.</summary>
    public int? ManagementPort { get; init; }

    /// <summary>How long the certificates pebble issues are valid (<c>certificateValidityPeriod</c>); null for pebble's default.</summary>
    public TimeSpan? CertificateValidity { get; init; }

    /// <summary>
    /// Pebble settings on top of <c>PEBBLE_VA_NOSLEEP=1</c> (e.g. <c>PEBBLE_WFE_NONCEREJECT</c>); never
    /// <c>PEBBLE_VA_ALWAYS_VALID</c>, which <see cref="PebbleHost.StartAsync"/> refuses.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}
