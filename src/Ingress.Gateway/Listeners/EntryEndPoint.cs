using System.Net;

namespace Ingress.Gateway.Listeners;

/// <summary>
/// An entry port as Kestrel is told to listen on it. Its own type, so that Kestrel gives it to the
/// <see cref="EntryListenerFactory"/> (the relay) while the admin port stays on Kestrel's socket transport.
/// </summary>
/// <param name="listenAddress"><c>*</c> (all interfaces, IPv6 dual-mode where available), <c>localhost</c>, or an IP address.</param>
/// <param name="port">The entry port.</param>
/// <param name="tls">A TLS entry port: the relay terminates TLS on it.</param>
/// <param name="routes">The plain entry port whose routes a TLS port serves; 0: its own.</param>
internal sealed class EntryEndPoint(string listenAddress, int port, bool tls = false, int routes = 0) : EndPoint
{
    public string ListenAddress { get; } = listenAddress;

    public int Port { get; } = port;

    public bool Tls { get; } = tls;

    /// <summary>The entry port whose routes are served here.</summary>
    public int Routes { get; } = routes == 0 ? port : routes;

    /// <summary>The addresses to bind; for <c>localhost</c> the IPv6 one is optional (a host may have no IPv6).</summary>
    public IEnumerable<(IPEndPoint EndPoint, bool Optional)> Addresses() => ListenAddress switch
    {
        "*" => [(new IPEndPoint(IPAddress.IPv6Any, Port), false)],
        "localhost" => [(new IPEndPoint(IPAddress.Loopback, Port), false), (new IPEndPoint(IPAddress.IPv6Loopback, Port), true)],
        _ => [(new IPEndPoint(IPAddress.Parse(ListenAddress), Port), false)],
    };

    /// <summary>As Kestrel shows an address after its <c>http://</c>: <c>127.0.0.1:8888</c>, <c>[::]:8888</c>.</summary>
    public override string ToString() => ListenAddress switch
    {
        "*" => $"[::]:{Port}",
        _ when IPAddress.TryParse(ListenAddress, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 => $"[{ip}]:{Port}",
        _ => $"{ListenAddress}:{Port}",
    };
}
