using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ingress.Gateway.Listeners;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Gateway.Tests.Listeners;

/// <summary>
/// A connection the relay hands to Kestrel, on Kestrel's own socket connection over real loopback TCP, as
/// <c>EntryListener.HandOff</c> builds it: what Kestrel reads and writes through it, and how it ends.
/// </summary>
public sealed class HandoffConnectionTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly SocketConnectionContextFactory _factory = new(new SocketConnectionFactoryOptions(), NullLogger.Instance);
    private readonly List<Socket> _sockets = [];
    private int _disposedCalls;

    [Fact]
    public async Task Input_AfterTheRelayReadPartOfARequest_GivesThoseBytesFirstThenTheSockets()
    {
        var (connection, client) = await HandOffAsync("GET / HTTP/1.1\r\n");

        await client.SendAsync("Host: a\r\n\r\n"u8.ToArray(), SocketFlags.None);

        Assert.Equal("GET / HTTP/1.1\r\nHost: a\r\n\r\n", await ReadAsync(connection.Transport.Input, 27));
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task Input_NothingReadByTheRelay_GivesTheSocketsBytes()
    {
        var (connection, client) = await HandOffAsync("");

        await client.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), SocketFlags.None);

        Assert.Equal("GET / HTTP/1.1\r\n\r\n", await ReadAsync(connection.Transport.Input, 18));
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task Input_ClientShutsDownItsSide_EndsAfterEveryByte()
    {
        var (connection, client) = await HandOffAsync("abc");

        await client.SendAsync("def"u8.ToArray(), SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("abcdef", await ReadAsync(connection.Transport.Input, int.MaxValue));
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task Output_KestrelWrites_TheClientGetsThem()
    {
        var (connection, client) = await HandOffAsync("GET / HTTP/1.1\r\n\r\n");
        const string Response = "HTTP/1.1 204 No Content\r\n\r\n";

        await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(Response));

        var buffer = new byte[Response.Length];
        Assert.Equal(Response.Length, await client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Patience));
        Assert.Equal(Response, Encoding.ASCII.GetString(buffer));
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task EndPointsAndId_AreTheSocketConnectionsOwn()
    {
        var (connection, client) = await HandOffAsync("");

        Assert.Equal(client.LocalEndPoint, connection.RemoteEndPoint);
        Assert.Equal(client.RemoteEndPoint, connection.LocalEndPoint);
        Assert.False(string.IsNullOrEmpty(connection.ConnectionId));
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task DisposeAsync_TwiceWithMegabytesUnread_ClosesTheSocketAndReportsOnce()
    {
        var (connection, client) = await HandOffAsync("POST / HTTP/1.1\r\n");
        // Nobody reads them: they fill the pipe behind the relay's bytes, and the pump waits for room.
        var sending = client.SendAsync(new byte[4 * 1024 * 1024], SocketFlags.None);

        await connection.DisposeAsync().AsTask().WaitAsync(Patience);
        await connection.DisposeAsync();

        Assert.Equal(1, Volatile.Read(ref _disposedCalls));
        // Closed with bytes unread, the socket resets the connection; what the buffers took may have been sent first.
        var sent = await Record.ExceptionAsync(() => sending.WaitAsync(Patience));
        Assert.True(sent is null or SocketException, $"the client's send: {sent}");
        var end = await Record.ExceptionAsync(async () => Assert.Equal(0, await client.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(Patience)));
        Assert.True(end is null or SocketException, $"the client's read: {end}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _factory.Dispose();
        await Task.CompletedTask;
    }

    /// <summary>A client connected to a socket Kestrel owns, handed off with <paramref name="unread"/> already read from it.</summary>
    private async Task<(HandoffConnection Connection, Socket Client)> HandOffAsync(string unread)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(client);
        await client.ConnectAsync(listener.LocalEndPoint!);
        var server = await listener.AcceptAsync().WaitAsync(Patience);
        var connection = new HandoffConnection(_factory.Create(server), Encoding.ASCII.GetBytes(unread), () => Interlocked.Increment(ref _disposedCalls));
        return (connection, client);
    }

    /// <summary>Reads until <paramref name="count"/> bytes came or the input ended.</summary>
    private static async Task<string> ReadAsync(PipeReader input, int count)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var text = new StringBuilder();
        while (text.Length < count)
        {
            var result = await input.ReadAsync(timeout.Token);
            foreach (var segment in result.Buffer)
            {
                text.Append(Encoding.ASCII.GetString(segment.Span));
            }

            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        return text.ToString();
    }
}
