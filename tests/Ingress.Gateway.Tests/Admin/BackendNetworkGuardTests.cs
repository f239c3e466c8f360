using System.Net;
using Ingress.Gateway.Admin;
using Ingress.Gateway.Discovery;

namespace Ingress.Gateway.Tests.Admin;

public sealed class BackendNetworkGuardTests
{
    // A gateway on a backends network (10.0.1.0/24), a monitoring network (10.0.5.0/24), docker_gwbridge and loopback.
    private static readonly LocalSubnet[] Local =
    [
        new(IPAddress.Parse("10.0.1.7"), 24),
        new(IPAddress.Parse("10.0.5.7"), 24),
        new(IPAddress.Parse("172.18.0.3"), 16),
        new(IPAddress.Parse("127.0.0.1"), 8),
        new(IPAddress.Parse("::1"), 128),
    ];

    [Fact]
    public void BackendAddresses_AreTheGatewaysAddressesOnNetworksHoldingReplicas()
    {
        var found = BackendNetworkGuard.BackendAddresses([IPAddress.Parse("10.0.1.20"), IPAddress.Parse("10.0.1.21")], Local);

        Assert.Equal([IPAddress.Parse("10.0.1.7")], found);
    }

    [Fact]
    public void BackendAddresses_NeverLoopback_EvenWithReplicasThere()
    {
        var found = BackendNetworkGuard.BackendAddresses([IPAddress.Parse("127.0.0.2"), IPAddress.Parse("::1")], Local);

        Assert.Empty(found);
    }

    [Fact]
    public void BackendAddresses_WithNoReplicaOnAnyNetworkOfTheGateway_AreNone()
    {
        Assert.Empty(BackendNetworkGuard.BackendAddresses([IPAddress.Parse("192.168.9.9")], Local));
        Assert.Empty(BackendNetworkGuard.BackendAddresses([], Local));
    }
}
