using System.Net;
using Ingress.Gateway.Routing.Snapshot;

namespace Ingress.Gateway.Tests.Relay;

public sealed class RelayDestinationTests
{
    [Theory]
    [InlineData("10.0.1.7", 80)]
    [InlineData("10.0.1.7", 8080)]
    [InlineData("::1", 80)]
    [InlineData("fd00::7", 5000)]
    public void HostLine_IsTheAuthority_HttpClientWritesForTheDestination(string ip, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(ip), port);
        var expected = new Uri($"http://{(endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip)}:{port}/").Authority;

        Assert.Equal(expected, RelayDestination.Authority(endPoint));
    }
}
