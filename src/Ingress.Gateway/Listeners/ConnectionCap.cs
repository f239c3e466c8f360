using System.Globalization;
using System.Text;
using Ingress.Gateway.Telemetry;

namespace Ingress.Gateway.Listeners;

/// <summary>
/// The cap on one entry port's open connections, for both ways a connection is accepted (Kestrel's sockets and the
/// relay's listeners): counts them, exports the count, and says when one more is one too many.
/// </summary>
internal sealed class ConnectionCap(int port, int maxConnections, GatewayMetrics metrics)
{
    /// <summary>The whole refusal of a connection past the cap, sent before closing.</summary>
    public static readonly byte[] Refusal = Encoding.ASCII.GetBytes(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nRetry-After: 1\r\nContent-Length: 48\r\n\r\n" +
        "503 Service Unavailable: too many connections.\r\n");

    private readonly Prometheus.Gauge.Child _open = metrics.OpenConnections.WithLabels(port.ToString(CultureInfo.InvariantCulture));
    private readonly Prometheus.Counter.Child _refused = metrics.RefusedConnections.WithLabels(port.ToString(CultureInfo.InvariantCulture));
    private int _count;

    /// <summary>Counts a new connection in; false (and counted as refused) when the port is at its cap.</summary>
    public bool TryOpen()
    {
        if (Interlocked.Increment(ref _count) > maxConnections)
        {
            Interlocked.Decrement(ref _count);
            _refused.Inc();
            return false;
        }

        _open.Inc();
        return true;
    }

    /// <summary>A connection that <see cref="TryOpen"/> let in has closed.</summary>
    public void Closed()
    {
        Interlocked.Decrement(ref _count);
        _open.Dec();
    }
}
