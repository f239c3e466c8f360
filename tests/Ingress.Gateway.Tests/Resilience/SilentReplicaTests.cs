using System.Net;
using System.Net.Sockets;
using static Ingress.Testing.Eventually;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Transport.Native;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Resilience;

/// <summary>
/// The rule that tells a silent replica from a slow one, and says whether any of the request reached it: on made-up
/// kernel answers, then on real loopback connections whose peer is silenced (iptables) or stops reading.
/// </summary>
public sealed class SilentReplicaTests
{
    private const long Timeout = 1000;

    [Theory]
    [InlineData(0u, 60_000u)] // nothing outstanding: a replica with the whole request, slow to answer, or a shut window
    [InlineData(3u, 999u)] // bytes outstanding, but the replica acknowledged something within the timeout
    public void Check_NothingOutstandingOrRecentlyAcknowledged_IsNotSilent(uint unacked, uint sinceAck)
    {
        Assert.Null(SilentReplica.Check(new TcpInfo(unacked, sinceAck, 1 + 5000), Timeout, sentBeforeRequest: 4000));
    }

    [Fact]
    public void Check_PooledConnection_NoneOfTheRequestAcknowledged_IsSilentUnacknowledged()
    {
        // 4000 bytes of earlier requests acknowledged (plus the SYN), none of this one's.
        Assert.Equal(AttemptFailure.SilentUnacknowledged, SilentReplica.Check(new TcpInfo(2, 1000, 1 + 4000), Timeout, sentBeforeRequest: 4000));
    }

    [Fact]
    public void Check_OneByteOfTheRequestAcknowledged_IsSilentAcknowledged()
    {
        Assert.Equal(AttemptFailure.SilentAcknowledged, SilentReplica.Check(new TcpInfo(2, 1000, 1 + 4001), Timeout, sentBeforeRequest: 4000));
    }

    [Fact]
    public void Check_NewConnection_TheAcknowledgedSynIsNoRequestByte()
    {
        Assert.Equal(AttemptFailure.SilentUnacknowledged, SilentReplica.Check(new TcpInfo(1, 1500, 1), Timeout, sentBeforeRequest: 0));
    }

    [Fact]
    public void Check_KernelWithoutTheAcknowledgedCount_TakesTheRequestAsReceived()
    {
        Assert.Equal(AttemptFailure.SilentAcknowledged, SilentReplica.Check(new TcpInfo(1, 1500, null), Timeout, sentBeforeRequest: 0));
    }

    [Theory]
    [InlineData(2u, 300u, 700)] // silent at the earliest when the last acknowledgement is a timeout old
    [InlineData(2u, 5000u, 1)]
    [InlineData(0u, 300u, 1000)] // nothing outstanding: look again a timeout later
    public void NextCheckDelay_IsWhenTheConnectionCouldFirstCountAsSilent(uint unacked, uint sinceAck, long expected)
    {
        Assert.Equal(expected, SilentReplica.NextCheckDelayMs(new TcpInfo(unacked, sinceAck, 1), Timeout));
    }

    [Fact]
    public async Task TcpInfo_RealConnection_CountsTheBytesAcknowledged_TheSynLeftOut()
    {
        using var pair = await LoopbackPair.ConnectAsync("127.0.0.1");
        await pair.Client.SendAsync(new byte[100]);
        await pair.ReceiveOnServerAsync(100);

        await WaitUntilAsync(() => TcpInfo.TryRead(pair.Client, out var info) && info.DataBytesAcked == 100 && info.UnackedSegments == 0, "100 bytes acknowledged");
        Assert.True(TcpInfo.TryRead((int)pair.Client.SafeHandle.DangerousGetHandle(), out var raw));
        Assert.Equal(100UL, raw.DataBytesAcked);
    }

    [Fact]
    public async Task Check_RealConnection_PeerDropsEverything_IsSilent_AndNoneOfTheNewBytesAcknowledged()
    {
        using var pair = await LoopbackPair.ConnectAsync("127.0.0.91");
        await pair.Client.SendAsync(new byte[100]);
        await pair.ReceiveOnServerAsync(100);
        await WaitUntilAsync(() => TcpInfo.TryRead(pair.Client, out var info) && info.DataBytesAcked == 100, "the first request acknowledged");

        using (PacketDrop.To("127.0.0.91", pair.Port))
        {
            await pair.Client.SendAsync(new byte[50]);

            AttemptFailure? failure = null;
            await WaitUntilAsync(() => TcpInfo.TryRead(pair.Client, out var info) && (failure = SilentReplica.Check(info, 500, sentBeforeRequest: 100)) is not null, "silence");
            Assert.Equal(AttemptFailure.SilentUnacknowledged, failure);
        }
    }

    [Fact]
    public async Task Check_RealConnection_PeerNotReadingWithItsWindowShut_IsNeverSilent()
    {
        // The receiver's buffer is full and its window zero for well over twice the timeout: the kernel's window probes
        // are answered, and nothing counts as outstanding meanwhile.
        using var pair = await LoopbackPair.ConnectAsync("127.0.0.1", receiveBufferSize: SlowReadingServer.ReceiveBufferSize);
        pair.Client.Blocking = false;
        var chunk = new byte[64 * 1024];
        long sent = 0;
        await WaitUntilAsync(() =>
        {
            var written = pair.Client.Send(chunk, 0, chunk.Length, SocketFlags.None, out var error);
            sent += Math.Max(written, 0);
            return error == SocketError.WouldBlock;
        }, "the send buffer to fill");

        // Real time has to pass (the kernel's clock is not to be faked): the rule is asked at every tick of it, not once after a sleep.
        await Continually.HoldsAsync(
            () => TcpInfo.TryRead(pair.Client, out var info) && SilentReplica.Check(info, 500, sentBeforeRequest: 0) is null,
            TimeSpan.FromMilliseconds(2500),
            "the shut window not counting as silence",
            TimeSpan.FromMilliseconds(100));

        Assert.True(pair.Server.Available > 0);
        Assert.True(sent > SlowReadingServer.ReceiveBufferSize);
    }

    /// <summary>A connected loopback socket pair; the server side may have a small receive buffer.</summary>
    private sealed class LoopbackPair : IDisposable
    {
        private LoopbackPair(Socket listener, Socket client, Socket server)
        {
            Listener = listener;
            Client = client;
            Server = server;
        }

        public Socket Listener { get; }

        public Socket Client { get; }

        public Socket Server { get; }

        public int Port => ((IPEndPoint)Listener.LocalEndPoint!).Port;

        public static async Task<LoopbackPair> ConnectAsync(string ip, int? receiveBufferSize = null)
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            if (receiveBufferSize is { } size)
            {
                listener.ReceiveBufferSize = size;
            }

            listener.Bind(new IPEndPoint(IPAddress.Parse(ip), 0));
            listener.Listen();
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await client.ConnectAsync(listener.LocalEndPoint!);
            var server = await listener.AcceptAsync();
            return new LoopbackPair(listener, client, server);
        }

        public async Task ReceiveOnServerAsync(int count)
        {
            var buffer = new byte[count];
            var received = 0;
            while (received < count)
            {
                received += await Server.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None);
            }
        }

        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
            Listener.Dispose();
        }
    }
}
