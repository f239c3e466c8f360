using System.Net.Sockets;

namespace Ingress.Gateway.Resilience;

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

    /// <summary>Warns, and says true, when <paramref name="exception"/> (from either forwarding path, or a probe) is a shortage.</summary>
    public bool TryReport(string cluster, string destination, Exception? exception)
    {
        if (ForwarderFailure.GatewayShortage(exception) is not { } error)
        {
            return false;
        }

        Report(cluster, destination, Describe(error));
        return true;
    }

    private static string Describe(SocketError error) => error switch
    {
        SocketError.AddressNotAvailable => "no free local port toward that address (EADDRNOTAVAIL)",
        SocketError.TooManyOpenSockets => "no file descriptor left (EMFILE/ENFILE)",
        SocketError.NoBufferSpaceAvailable => "no buffer space (ENOBUFS)",
        _ => error.ToString(),
    };

    private void Report(string cluster, string destination, string shortage)
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

    [LoggerMessage(310, LogLevel.Warning, "A connection to {Destination} of cluster {Cluster} failed for want of the gateway's own resources: {Shortage}. The replica stays in rotation. Many short-lived connections to one replica use up local ports (see net.ipv4.ip_local_port_range and net.ipv4.tcp_tw_reuse); file descriptors are limited by ulimit -n. {Suppressed} more since the last warning.")]
    private partial void LogShortage(string cluster, string destination, string shortage, long suppressed);
}
