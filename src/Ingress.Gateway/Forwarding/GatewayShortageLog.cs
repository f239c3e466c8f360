using System.Net.Sockets;
using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Forwarding;

/// <summary>
/// Warns when a connection to a replica failed for want of the gateway's own resources
/// (<see cref="ForwarderFailure.GatewayShortage"/>): no replica is ejected for that, so without this it would show only
/// as retried or failed requests. At most one warning per <see cref="Interval"/>, saying how many were left out.
/// </summary>
internal sealed partial class GatewayShortageLog(TimeProvider time, ILogger<GatewayShortageLog> logger)
{
    /// <summary>The least time between two warnings.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private long _next = long.MinValue;
    private long _suppressed;

    public void Report(string cluster, string destination, string shortage)
    {
        var now = time.GetUtcNow().UtcTicks;
        var next = Volatile.Read(ref _next);
        if (now < next || Interlocked.CompareExchange(ref _next, now + Interval.Ticks, next) != next)
        {
            Interlocked.Increment(ref _suppressed);
            return;
        }

        LogShortage(cluster, destination, shortage, Interlocked.Exchange(ref _suppressed, 0));
    }

    /// <summary>What ran short, for the warning: a socket error from the YARP path.</summary>
    public static string Describe(SocketError error) => error switch
    {
        SocketError.AddressNotAvailable => "no free local port toward that address (EADDRNOTAVAIL)",
        SocketError.TooManyOpenSockets => "no file descriptor left (EMFILE/ENFILE)",
        SocketError.NoBufferSpaceAvailable => "no buffer space (ENOBUFS)",
        _ => error.ToString(),
    };

    /// <summary>What ran short, for the warning: an errno from the relay's connect.</summary>
    public static string Describe(int errno) => errno switch
    {
        Libc.EADDRNOTAVAIL => Describe(SocketError.AddressNotAvailable),
        Libc.EMFILE or Libc.ENFILE => Describe(SocketError.TooManyOpenSockets),
        Libc.ENOBUFS => Describe(SocketError.NoBufferSpaceAvailable),
        Libc.ENOMEM => "no memory (ENOMEM)",
        _ => $"errno {errno}",
    };

    [LoggerMessage(310, LogLevel.Warning, "A connection to {Destination} of cluster {Cluster} failed for want of the gateway's own resources: {Shortage}. The replica stays in rotation. Many short-lived connections to one replica use up local ports (see net.ipv4.ip_local_port_range and net.ipv4.tcp_tw_reuse); file descriptors are limited by ulimit -n. {Suppressed} more since the last warning.")]
    private partial void LogShortage(string cluster, string destination, string shortage, long suppressed);
}
