using Ingress.Gateway.Http1;

namespace Ingress.Gateway.Relay;

/// <summary>
/// The entry port a relayed client connection came in on, as the relay sees it: which routes apply, whether the
/// gateway drains, where a connection goes that the relay hands to Kestrel, and whom to tell when one closes.
/// </summary>
internal interface IRelayEntry
{
    int Port { get; }

    /// <summary>The gateway is shutting down: finish what is in flight, take nothing new.</summary>
    bool Draining { get; }

    /// <summary>Gives the socket to Kestrel with the bytes already read from it, which Kestrel reads first.</summary>
    void HandOff(int fd, byte[] unread, HandoffReason reason);

    /// <summary>A relayed connection closed.</summary>
    void OnRelayConnectionClosed();
}
