using System.Net;
using System.Net.Sockets;

namespace Ingress.Testing;

/// <summary>Finds loopback ports that are free now; the gateway binds fixed ports because it routes by local port.</summary>
public static class FreePort
{
    /// <summary>A loopback port nobody listens on right now.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
