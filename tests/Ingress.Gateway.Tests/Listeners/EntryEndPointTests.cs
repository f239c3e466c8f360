using System.Net;
using Ingress.Gateway.Listeners;

namespace Ingress.Gateway.Tests.Listeners;

public sealed class EntryEndPointTests
{
    [Fact]
    public void Addresses_AllInterfaces_IsTheIPv6WildcardAlone()
    {
        var addresses = new EntryEndPoint("*", 8888).Addresses().ToArray();

        Assert.Equal([(new IPEndPoint(IPAddress.IPv6Any, 8888), false)], addresses);
    }

    [Fact]
    public void Addresses_Localhost_IsBothLoopbacks_TheIPv6OneOptional()
    {
        var addresses = new EntryEndPoint("localhost", 8888).Addresses().ToArray();

        Assert.Equal([(new IPEndPoint(IPAddress.Loopback, 8888), false), (new IPEndPoint(IPAddress.IPv6Loopback, 8888), true)], addresses);
    }

    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("::1")]
    public void Addresses_AnIPAddress_IsThatAddressAlone(string address)
    {
        var addresses = new EntryEndPoint(address, 8888).Addresses().ToArray();

        Assert.Equal([(new IPEndPoint(IPAddress.Parse(address), 8888), false)], addresses);
    }

    [Theory]
    [InlineData("*", "[::]:8888")]
    [InlineData("localhost", "localhost:8888")]
    [InlineData("10.1.2.3", "10.1.2.3:8888")]
    [InlineData("::1", "[::1]:8888")]
    public void ToString_AnyListenAddress_IsWrittenAsKestrelShowsIt(string address, string expected)
    {
        Assert.Equal(expected, new EntryEndPoint(address, 8888).ToString());
    }
}
