using System.Net;
using System.Net.Sockets;

namespace Ingress.Testing;

/// <summary>Finds loopback ports that are free now; the gateway binds fixed ports because it routes by local port.</summary>
public static class FreePort
{
    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int Next() => Next(1)[0];

    /// <summary>
    /// <paramref name="count"/> loopback ports nobody listens on right now, all different: each is held until all are
    /// found (one port found free and released at a time could be found again).
    /// </summary>
    public static int[] Next(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listeners.Add(listener);
                listener.Start();
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
    }
}
