using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Ingress.Gateway.Listeners;
using Ingress.Gateway.Telemetry;
using Microsoft.AspNetCore.Connections;

namespace Ingress.Gateway.Tests.Listeners;

/// <summary>
/// Entry ports bound by the relay's transport, taken from a running gateway (its event loops, metrics and settings), on
/// ports of the test's choosing: which addresses a listen address binds, and how a port in use fails.
/// </summary>
public sealed class EntryListenerFactoryTests
{
    [Fact]
    public async Task CanBind_EntryEndPointOrAnyOther_TakesOnlyEntryEndPoints()
    {
        await using var gateway = await GatewayTestHost.StartAsync();
        var factory = Factory(gateway);

        Assert.True(factory.CanBind(new EntryEndPoint("*", 8888)));
        Assert.False(factory.CanBind(new IPEndPoint(IPAddress.Loopback, 8888)));
    }

    [Fact]
    public async Task BindAsync_AllInterfaces_AcceptsIPv4AndIPv6Clients()
    {
        await using var gateway = await GatewayTestHost.StartAsync();
        var port = FreePort.Next();

        var listener = await Factory(gateway).BindAsync(new EntryEndPoint("*", port));
        try
        {
            Assert.Equal(new EntryEndPoint("*", port).ToString(), listener.EndPoint.ToString());
            using var v4 = new TcpClient(AddressFamily.InterNetwork);
            await v4.ConnectAsync(IPAddress.Loopback, port);
            await WaitForOpenConnectionsAsync(gateway, port, 1);
            if (Socket.OSSupportsIPv6)
            {
                using var v6 = new TcpClient(AddressFamily.InterNetworkV6);
                await v6.ConnectAsync(IPAddress.IPv6Loopback, port);
                await WaitForOpenConnectionsAsync(gateway, port, 2);
            }
        }
        finally
        {
            await UnbindAsync(listener);
        }
    }

    [Fact]
    public async Task BindAsync_Localhost_AcceptsOnBothLoopbacks()
    {
        await using var gateway = await GatewayTestHost.StartAsync();
        var port = FreePort.Next();

        var listener = await Factory(gateway).BindAsync(new EntryEndPoint("localhost", port));
        try
        {
            using var v4 = new TcpClient(AddressFamily.InterNetwork);
            await v4.ConnectAsync(IPAddress.Loopback, port);
            await WaitForOpenConnectionsAsync(gateway, port, 1);
            if (Socket.OSSupportsIPv6)
            {
                using var v6 = new TcpClient(AddressFamily.InterNetworkV6);
                await v6.ConnectAsync(IPAddress.IPv6Loopback, port);
                await WaitForOpenConnectionsAsync(gateway, port, 2);
            }
        }
        finally
        {
            await UnbindAsync(listener);
        }
    }

    [Fact]
    public async Task BindAsync_LocalhostWithItsIPv6PortTaken_ListensOnIPv4Alone()
    {
        // Without IPv6 there is nothing to take: the optional address is then simply missing, as this test expects.
        await using var gateway = await GatewayTestHost.StartAsync();
        using var taken = new TcpListener(Socket.OSSupportsIPv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        if (!Socket.OSSupportsIPv6)
        {
            taken.Stop();
        }

        var listener = await Factory(gateway).BindAsync(new EntryEndPoint("localhost", port));
        try
        {
            using var v4 = new TcpClient(AddressFamily.InterNetwork);
            await v4.ConnectAsync(IPAddress.Loopback, port);
            await WaitForOpenConnectionsAsync(gateway, port, 1);
        }
        finally
        {
            await UnbindAsync(listener);
        }
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("*")]
    public async Task BindAsync_PortInUse_ThrowsAddressInUseException(string listenAddress)
    {
        await using var gateway = await GatewayTestHost.StartAsync();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<AddressInUseException>(() => Factory(gateway).BindAsync(new EntryEndPoint(listenAddress, port)).AsTask());

        Assert.Contains("address already in use", error.Message, StringComparison.Ordinal);
        Assert.Contains(port.ToString(CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnbindAsync_BoundPort_ReleasesIt()
    {
        await using var gateway = await GatewayTestHost.StartAsync();
        var port = FreePort.Next();
        var listener = await Factory(gateway).BindAsync(new EntryEndPoint("127.0.0.1", port));

        await UnbindAsync(listener);

        using var again = new TcpListener(IPAddress.Loopback, port);
        again.Start();
    }

    private static EntryListenerFactory Factory(GatewayTestHost gateway) =>
        gateway.Services.GetServices<IConnectionListenerFactory>().OfType<EntryListenerFactory>().Single();

    /// <summary>Connections the relay's loops accepted on <paramref name="port"/>: the listener's own gauge.</summary>
    private static Task WaitForOpenConnectionsAsync(GatewayTestHost gateway, int port, int expected)
    {
        var open = gateway.Services.GetRequiredService<GatewayMetrics>().OpenConnections.WithLabels(port.ToString(CultureInfo.InvariantCulture));
        return Eventually.WaitUntilAsync(() => open.Value == expected, $"{expected} connections accepted on port {port}");
    }

    private static async Task UnbindAsync(IConnectionListener listener)
    {
        // Unbinding waits for the port's relayed connections; the clients are gone, so this is quick.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await listener.UnbindAsync(timeout.Token);
        await listener.DisposeAsync();
    }
}
