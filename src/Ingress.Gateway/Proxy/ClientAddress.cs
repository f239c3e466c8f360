using System.Net;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// The client address the client policies (allow-list, rate limit) decide on: the connection's remote address, never a
/// header a client can write (<c>X-Forwarded-For</c>). An IPv4-mapped IPv6 address (<c>::ffff:10.1.2.3</c>, what a dual-stack
/// socket reports for an IPv4 client) is left as it is: <see cref="System.Net.IPNetwork.Contains"/> matches it against IPv4
/// ranges itself, and one listener reports every IPv4 client the same way, so its rate-limit bucket is stable.
/// </summary>
internal static class ClientAddress
{
    /// <summary>The address of <paramref name="context"/>'s client; <see cref="IPAddress.None"/> when the transport has none.</summary>
    public static IPAddress Of(HttpContext context) => context.Connection.RemoteIpAddress ?? IPAddress.None;
}
