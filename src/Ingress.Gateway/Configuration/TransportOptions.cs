using Ingress.Gateway.Hosting;
namespace Ingress.Gateway.Configuration;

/// <summary>How the gateway's listeners schedule socket work (<c>Ingress:Transport</c>).</summary>
/// <remarks>
/// Defaults: the relay on, with one event loop per processor; inline scheduling on for what Kestrel serves. The gateway process also runs socket completions inline (the runtime's
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>) unless that variable is set; see
/// <see cref="InlineSocketCompletions"/>. Together they run a request from socket to socket on the thread that saw it
/// arrive, the way an event-loop proxy does, instead of handing it between threads several times.
/// </remarks>
public sealed class TransportOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Ingress:Transport";

    /// <summary>
    /// Run request processing on the thread that completed the socket operation instead of queueing it to the thread
    /// pool (Kestrel's <c>UnsafePreferInlineScheduling</c>). Safe because nothing on the proxy path blocks.
    /// </summary>
    public bool InlineScheduling { get; set; } = true;

    /// <summary>
    /// Forward plain HTTP/1.1 requests on the gateway's own epoll event loops (the relay) rather than through Kestrel
    /// and YARP's <c>HttpForwarder</c>. Requests the relay does not handle (upgrades, chunked uploads, malformed
    /// requests, routes and clusters with YARP-only features) still go through Kestrel and YARP. Linux only; elsewhere,
    /// or when false, every entry-port request goes through Kestrel.
    /// </summary>
    public bool Relay { get; set; } = true;

    /// <summary>The relay's event loops (threads); empty for one per processor.</summary>
    public int? EventLoops { get; set; }
}
