using Ingress.Gateway.Http1;
using Ingress.Gateway.Transport.Tls;

namespace Ingress.Gateway.Relay;

/// <summary>
/// The entry port a relayed client connection came in on, as the relay sees it: which routes apply, whether the
/// gateway drains, where a connection goes that the relay hands to Kestrel, and whom to tell when one closes.
/// </summary>
internal interface IRelayEntry
{
    int Port { get; }

    /// <summary>The entry port whose routes apply: <see cref="Port"/>, or for a TLS port the plain port it serves.</summary>
    int RoutesPort { get; }

    /// <summary>The gateway is shutting down: finish what is in flight, take nothing new.</summary>
    bool Draining { get; }

    /// <summary>
    /// Gives the socket to Kestrel with the bytes already read from it, which Kestrel reads first. For a TLS connection
    /// the socket is the plaintext end of the relay's <see cref="TlsTunnel"/>, and <paramref name="tls"/> says what the
    /// handshake agreed on and who the client is.
    /// </summary>
    void HandOff(int fd, byte[] unread, HandoffReason reason, TlsConnectionInfo? tls = null);

    /// <summary>A relayed connection closed.</summary>
    void OnRelayConnectionClosed();
}
