using System.Text;
using Ingress.Gateway.Telemetry;
using Microsoft.AspNetCore.Connections;

namespace Ingress.Gateway.Listeners;

/// <summary>
/// Counts the open connections of one entry port and refuses those past the cap with an immediate 503, so a flood
/// on a public port can neither crash the gateway nor take the admin port's connections.
/// </summary>
internal sealed class EntryConnectionLimiter(int port, int maxConnections, GatewayMetrics metrics)
{
    /// <summary>The whole refusal, sent before closing (by the relay's listeners too).</summary>
    internal static readonly byte[] Refusal = Encoding.ASCII.GetBytes(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nRetry-After: 1\r\nContent-Length: 48\r\n\r\n" +
        "503 Service Unavailable: too many connections.\r\n");

    private readonly Prometheus.Gauge.Child _open = metrics.OpenConnections.WithLabels(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    private readonly Prometheus.Counter.Child _refused = metrics.RefusedConnections.WithLabels(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    private int _count;

    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        if (Interlocked.Increment(ref _count) > maxConnections)
        {
            Interlocked.Decrement(ref _count);
            _refused.Inc();
            try
            {
                await connection.Transport.Output.WriteAsync(Refusal);
                await connection.Transport.Output.CompleteAsync();
            }
            catch (Exception) when (connection.ConnectionClosed.IsCancellationRequested)
            {
                // The client left first; nothing to tell it.
            }

            return;
        }

        _open.Inc();
        try
        {
            await next(connection);
        }
        finally
        {
            Interlocked.Decrement(ref _count);
            _open.Dec();
        }
    };
}
