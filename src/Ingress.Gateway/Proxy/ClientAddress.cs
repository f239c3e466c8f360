using System.Net;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// The client address the client policies (allow-list, rate limit) decide on: the connection's remote address, never a
/// header a client can write (<c>X-Forwarded-For</c>). An IPv4-mapped IPv6 address (<c>::ffff:10.1.2.3</c>, what a dual-stack
/// socket reports for an IPv4 client) is the IPv4 address, so that IPv4 ranges match it and it shares the IPv4 client's bucket.
/// </summary>
internal static class ClientAddress
{
    /// <summary>The address of <paramref name="context"/>'s client; <see cref="IPAddress.None"/> when the transport has none.</summary>
    public static IPAddress Of(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return IPAddress.None;
        }

        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
