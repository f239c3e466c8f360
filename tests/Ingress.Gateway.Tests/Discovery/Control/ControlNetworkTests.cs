using System.Net;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Discovery.Control;

namespace Ingress.Gateway.Tests.Discovery.Control;

public sealed class ControlNetworkTests
{
    // A gateway on a backends network (10.0.1.0/24), a control network (10.0.3.0/24) and docker_gwbridge.
    private static readonly LocalSubnet[] Local =
    [
        new(IPAddress.Parse("10.0.1.7"), 24),
        new(IPAddress.Parse("10.0.3.7"), 24),
        new(IPAddress.Parse("172.18.0.3"), 16),
        new(IPAddress.Parse("127.0.0.1"), 8),
    ];

    [Fact]
    public void Allows_BeforeTheManagersResolve_Nothing()
    {
        var network = new ControlNetwork();

        Assert.False(network.IsKnown);
        Assert.False(network.Allows(IPAddress.Parse("10.0.3.7"), IPAddress.Parse("10.0.3.8")));
    }

    [Fact]
    public void Allows_OnlyTheControlAddressFromTheControlSubnet()
    {
        var network = new ControlNetwork();
        network.Update([IPAddress.Parse("10.0.3.7"), IPAddress.Parse("10.0.3.9")], Local);

        Assert.Equal(["10.0.3.7/24"], network.Describe());
        Assert.True(network.Allows(IPAddress.Parse("10.0.3.7"), IPAddress.Parse("10.0.3.200")));
        Assert.True(network.Allows(IPAddress.Parse("::ffff:10.0.3.7"), IPAddress.Parse("::ffff:10.0.3.8")));
        // From a backend container, to the gateway's backends address or (spoofing a route) to its control address.
        Assert.False(network.Allows(IPAddress.Parse("10.0.1.7"), IPAddress.Parse("10.0.1.9")));
        Assert.False(network.Allows(IPAddress.Parse("10.0.3.7"), IPAddress.Parse("10.0.1.9")));
        // From the node itself through docker_gwbridge.
        Assert.False(network.Allows(IPAddress.Parse("172.18.0.3"), IPAddress.Parse("172.18.0.1")));
        Assert.False(network.Allows(null, IPAddress.Parse("10.0.3.8")));
    }

    [Fact]
    public void Update_WithManagersOnNoLocalNetwork_KeepsTheLastAnswer()
    {
        var network = new ControlNetwork();
        network.Update([IPAddress.Parse("10.0.3.9")], Local);
        network.Update([IPAddress.Parse("192.168.50.1")], Local);

        Assert.Equal(["10.0.3.7/24"], network.Describe());
    }

    [Theory]
    [InlineData("10.0.3.0", 24, "10.0.3.255", true)]
    [InlineData("10.0.3.0", 24, "10.0.4.0", false)]
    [InlineData("10.0.0.0", 20, "10.0.15.1", true)]
    [InlineData("10.0.0.0", 20, "10.0.16.1", false)]
    [InlineData("fd00::1", 64, "fd00::ffff", true)]
    [InlineData("fd00::1", 64, "fd00:0:0:1::1", false)]
    [InlineData("10.0.0.1", 8, "fd00::1", false)]
    public void Subnet_Contains(string address, int prefix, string other, bool expected)
    {
        Assert.Equal(expected, new LocalSubnet(IPAddress.Parse(address), prefix).Contains(IPAddress.Parse(other)));
    }
}
