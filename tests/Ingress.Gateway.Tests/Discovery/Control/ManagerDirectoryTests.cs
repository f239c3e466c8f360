using System.Net;
using System.Net.Sockets;
using Ingress.Gateway.Discovery.Control;

namespace Ingress.Gateway.Tests.Discovery.Control;

public sealed class ManagerDirectoryTests
{
    [Theory]
    [InlineData("gateway-managers", "gateway-managers:8081")]
    [InlineData("gateway-managers:9000", "gateway-managers:9000")]
    [InlineData("10.0.3.2, 10.0.3.3:9000", "10.0.3.2:8081 10.0.3.3:9000")]
    [InlineData("[fd00::1]:9000,[fd00::2]", "fd00::1:9000 fd00::2:8081")]
    public void Parse_ValidLists(string managers, string expected)
    {
        var entries = ManagerDirectory.Parse(managers, 8081, out var errors);

        Assert.Empty(errors);
        Assert.Equal(expected, string.Join(' ', entries.Select(e => $"{e.Host}:{e.Port}")));
    }

    [Theory]
    [InlineData("", "no manager gateway")]
    [InlineData(" , ", "no manager gateway")]
    [InlineData("host:0", "no valid port")]
    [InlineData("host:70000", "no valid port")]
    [InlineData("host:x", "no valid port")]
    [InlineData("bad host", "not a host name")]
    [InlineData("a:1:2", "not a host name")]
    public void Parse_InvalidLists_SayWhy(string managers, string reason)
    {
        ManagerDirectory.Parse(managers, 8081, out var errors);

        Assert.Contains(errors, e => e.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ResolveAsync_OrdersIPv4FirstAndReportsNamesThatDoNotResolve()
    {
        var directory = new ManagerDirectory("managers, missing, 10.0.3.9:9000", 8081)
        {
            Resolve = (name, _) => name == "managers"
                ? Task.FromResult(new[] { IPAddress.Parse("fd00::5"), IPAddress.Parse("10.0.3.5"), IPAddress.Parse("10.0.3.4") })
                : throw new SocketException((int)SocketError.HostNotFound),
        };

        var (endpoints, error) = await directory.ResolveAsync(CancellationToken.None);

        Assert.Equal(["10.0.3.4:8081", "10.0.3.5:8081", "10.0.3.9:9000", "[fd00::5]:8081"], endpoints.Select(e => e.ToString()));
        Assert.Contains("missing does not resolve", error, StringComparison.Ordinal);
    }
}
