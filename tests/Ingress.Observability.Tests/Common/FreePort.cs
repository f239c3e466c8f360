using System.Net;
using System.Net.Sockets;

namespace Ingress.Observability.Tests.Common;

/// <summary>Finds loopback ports that are free now; the gateway binds fixed ports because it routes by local port.</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
