using System.Net.Sockets;
using System.Text;
using Ingress.Gateway.Transport;
using Ingress.Gateway.Transport.Native;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Gateway.Tests.Transport;

/// <summary>
/// The relay's socket calls on real loopback TCP connections: what a read or a write returns, and what the readiness
/// flags say after it and after the kernel's events.
/// </summary>
public sealed class RelaySocketTests : IDisposable
{
    private const int ECONNRESET = 104;
    private const int EPIPE = 32;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    // Never started: the calls of the first tests run on the test's thread, with no loop to race with.
    private readonly EventLoop _idle = new(0, NullLogger.Instance);
    private readonly EventLoop _loop = new(1, NullLogger.Instance);

    public RelaySocketTests() => _loop.Start();

    [Fact]
    public async Task Receive_ShortRead_ReturnsTheBytesAndClearsReadReady_ThenWouldBlock()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var socket = new TestSocket(_idle, pair.Fd);
        await pair.Peer.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        var buffer = new byte[16];

        var read = await ReceiveAsync(socket, buffer);

        Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 0, read));
        Assert.False(socket.ReadReady);
        Assert.Equal(RelaySocket.WouldBlock, socket.Receive(buffer));
    }

    [Fact]
    public async Task Receive_FillsTheBuffer_StaysReadReadyUntilDrained()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var socket = new TestSocket(_idle, pair.Fd);
        await pair.Peer.SendAsync(new byte[32], SocketFlags.None);
        var buffer = new byte[16];

        Assert.Equal(16, await ReceiveAsync(socket, buffer));
        Assert.True(socket.ReadReady);
        Assert.Equal(16, socket.Receive(buffer));
        Assert.True(socket.ReadReady);
        Assert.Equal(RelaySocket.WouldBlock, socket.Receive(buffer));
        Assert.False(socket.ReadReady);
    }

    [Fact]
    public async Task Receive_PeerShutDownAfterSending_ReturnsTheBytesThenZeroAndMarksPeerClosed()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var socket = new TestSocket(_idle, pair.Fd);
        await pair.Peer.SendAsync("bye"u8.ToArray(), SocketFlags.None);
        pair.Peer.Shutdown(SocketShutdown.Send);
        var buffer = new byte[16];

        Assert.Equal(3, await ReceiveAsync(socket, buffer));
        Assert.Equal(0, await ReceiveAsync(socket, buffer));
        Assert.True(socket.PeerClosed);
    }

    [Fact]
    public async Task Receive_PeerReset_FailsWithEconnreset()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var socket = new TestSocket(_idle, pair.Fd);
        pair.Peer.LingerState = new LingerOption(true, 0);
        pair.Peer.Close();

        Assert.Equal(RelaySocket.Failed, await ReceiveAsync(socket, new byte[16]));
        Assert.Equal(ECONNRESET, socket.LastErrno);
    }

    [Fact]
    public async Task Send_TwoBuffers_ArriveAsOneStreamInOrder()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var socket = new TestSocket(_idle, pair.Fd);

        var written = socket.Send("GET / "u8.ToArray(), "HTTP/1.1\r\n"u8.ToArray());

        Assert.Equal(16, written);
        Assert.True(socket.WriteReady);
        Assert.Equal("GET / HTTP/1.1\r\n", Encoding.ASCII.GetString(await ReadExactlyAsync(pair.Peer, 16)));
    }

    [Fact]
    public async Task Send_NothingToSend_WritesNothing()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var socket = new TestSocket(_idle, pair.Fd);

        Assert.Equal(0, socket.Send([], []));
        Assert.True(socket.WriteReady);
    }

    [Fact]
    public async Task Send_PeerNotReading_WritesPartlyThenWouldBlock_LosesNothing_AndTakesMoreOnceThePeerReads()
    {
        using var pair = await RawLoopbackPair.ConnectAsync(peerReceiveBuffer: 4096, sendBuffer: 4096);
        var socket = new TestSocket(_idle, pair.Fd);
        long total = 0;
        var partial = false;

        while (true)
        {
            var chunk = Pattern(total, 64 * 1024);
            var written = socket.Send(chunk, []);
            if (written == RelaySocket.WouldBlock)
            {
                break;
            }

            Assert.InRange(written, 1, chunk.Length);
            if (written < chunk.Length)
            {
                partial = true;
                Assert.False(socket.WriteReady);
            }

            total += written;
            Assert.True(total < 64 * 1024 * 1024, "the socket never filled up");
        }

        Assert.True(partial, "no write was partial");
        Assert.False(socket.WriteReady);
        Assert.Equal(Pattern(0, (int)total), await ReadExactlyAsync(pair.Peer, (int)total));
        Assert.Equal(1, socket.Send([1], []));
    }

    [Fact]
    public async Task Send_PeerReset_FailsWithTheErrno()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var socket = new TestSocket(_idle, pair.Fd);
        pair.Peer.LingerState = new LingerOption(true, 0);
        pair.Peer.Close();

        // The first write may still be taken before the reset is seen; the next ones fail.
        await Eventually.WaitUntilAsync(() => socket.Send([1], []) == RelaySocket.Failed, "a write to fail");

        Assert.Contains(socket.LastErrno, new[] { ECONNRESET, EPIPE });
    }

    [Fact]
    public async Task SendBestEffort_OpenConnection_ThePeerGetsTheBytes()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var socket = new TestSocket(_idle, pair.Fd);

        const string Response = "HTTP/1.1 503 Service Unavailable\r\n\r\n";

        socket.SendBestEffort(Encoding.ASCII.GetBytes(Response));

        Assert.Equal(Response, Encoding.ASCII.GetString(await ReadExactlyAsync(pair.Peer, Response.Length)));
    }

    [Fact]
    public async Task Register_PeerShutsDown_TheEventMarksPeerClosedAndReadReady()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var socket = new TestSocket(_loop, pair.Release());
        await OnLoopAsync(socket.Register);

        pair.Peer.Shutdown(SocketShutdown.Send);

        await Eventually.WaitUntilAsync(() => socket.PeerClosed && socket.ReadReady, "the peer's FIN noted");
        await OnLoopAsync(socket.Close);
    }

    [Fact]
    public async Task Register_SocketFullThenThePeerReads_TheEventMarksWriteReadyAgain()
    {
        using var pair = await RawLoopbackPair.ConnectAsync(peerReceiveBuffer: 4096, sendBuffer: 4096);
        var socket = new TestSocket(_loop, pair.Release());
        await OnLoopAsync(socket.Register);

        // Filled on the loop's thread, so that no event is handled in between.
        var total = await OnLoopAsync(() =>
        {
            var sent = 0;
            int written;
            while ((written = socket.Send(new byte[64 * 1024], [])) > 0)
            {
                sent += written;
            }

            Assert.False(socket.WriteReady);
            return sent;
        });
        await ReadExactlyAsync(pair.Peer, total);

        await Eventually.WaitUntilAsync(() => socket.WriteReady, "room again, reported by EPOLLOUT");
        await OnLoopAsync(socket.Close);
    }

    [Fact]
    public async Task CloseSocket_Registered_ClosesTheDescriptor_ThePeerSeesTheEnd()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var socket = new TestSocket(_loop, pair.Release());
        await OnLoopAsync(socket.Register);

        await OnLoopAsync(socket.Close);

        Assert.False(socket.IsOpen);
        Assert.Equal(0, await pair.Peer.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(Patience));
    }

    [Fact]
    public async Task Detach_Registered_GivesUpTheDescriptorOpenAndHearsNoMoreEvents()
    {
        using var pair = await RawLoopbackPair.ConnectAsync();
        var socket = new TestSocket(_loop, pair.Release());
        await OnLoopAsync(socket.Register);

        var fd = await OnLoopAsync(socket.GiveUp);
        try
        {
            Assert.False(socket.IsOpen);
            await pair.Peer.SendAsync("x"u8.ToArray(), SocketFlags.None);
            await Continually.HoldsAsync(() => !socket.ReadReady, TimeSpan.FromMilliseconds(300), "no event for a detached socket");
            var reader = new TestSocket(_idle, fd);
            Assert.Equal(1, await ReceiveAsync(reader, new byte[16]));
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    public void Dispose()
    {
        _loop.Dispose();
        _idle.Dispose();
    }

    private static byte[] Pattern(long offset, int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((offset + i) % 251);
        }

        return bytes;
    }

    /// <summary>Reads until something other than <see cref="RelaySocket.WouldBlock"/> comes back: what was sent may still be on its way.</summary>
    private static Task<int> ReceiveAsync(TestSocket socket, byte[] buffer) =>
        Eventually.WaitAsync(() => Task.FromResult(socket.Receive(buffer)), read => read != RelaySocket.WouldBlock, Patience, "a read that does not block", TimeSpan.FromMilliseconds(10));

    private static async Task<byte[]> ReadExactlyAsync(Socket peer, int count)
    {
        var bytes = new byte[count];
        using var timeout = new CancellationTokenSource(Patience);
        var read = 0;
        while (read < count)
        {
            var n = await peer.ReceiveAsync(bytes.AsMemory(read), SocketFlags.None, timeout.Token);
            Assert.True(n > 0, $"the connection ended after {read} of {count} bytes");
            read += n;
        }

        return bytes;
    }

    private Task OnLoopAsync(Action action) => OnLoopAsync(() =>
    {
        action();
        return true;
    });

    private Task<T> OnLoopAsync<T>(Func<T> function)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop.Post(() =>
        {
            try
            {
                done.SetResult(function());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        return done.Task.WaitAsync(Patience);
    }

    /// <summary>The smallest connection: it notes the kernel's events, and closes when aborted.</summary>
    private sealed unsafe class TestSocket(EventLoop loop, int fd) : RelaySocket(loop, fd)
    {
        public override void OnEvents(uint events) => NoteEvents(events);

        public override void OnTick(long nowMs)
        {
        }

        public override void Abort() => CloseSocket();

        public void Close() => CloseSocket();

        public int GiveUp() => Detach();

        public int Receive(byte[] buffer)
        {
            fixed (byte* pointer = buffer)
            {
                return Receive(pointer, buffer.Length);
            }
        }

        public int Send(byte[] first, byte[] second)
        {
            fixed (byte* one = first)
            fixed (byte* two = second)
            {
                return Send(one, first.Length, two, second.Length);
            }
        }
    }
}
