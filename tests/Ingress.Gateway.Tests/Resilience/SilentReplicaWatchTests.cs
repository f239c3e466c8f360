using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Ingress.Testing.Eventually;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Tests.Common;

namespace Ingress.Gateway.Tests.Resilience;

/// <summary>
/// The YARP pipeline's connections under the watch, on real loopback sockets, the watch's clock driven by hand: where a
/// request's bytes start, and what a silent replica makes every operation throw.
/// </summary>
public sealed class SilentReplicaWatchTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly SilentReplicaWatch _watch;

    public SilentReplicaWatchTests()
    {
        var options = Options.Create(new ResilienceOptions { UnacknowledgedTimeout = TimeSpan.FromMilliseconds(200) });
        _watch = new SilentReplicaWatch(options, _time, NullLogger<SilentReplicaWatch>.Instance);
    }

    [Fact]
    public async Task SecondRequestOnTheConnection_NoneOfItAcknowledged_FailsTheReadAndEveryLaterOperation_AsUnacknowledged()
    {
        await using var replica = await Replica.StartAsync("127.0.0.93");
        await using var connection = await ConnectAsync(replica);
        await ExchangeAsync(connection, replica);

        using (PacketDrop.To("127.0.0.93", replica.Port))
        {
            WatchedConnection.MarkRequest();
            await connection.WriteAsync(Encoding.ASCII.GetBytes("GET /second HTTP/1.1\r\nHost: r\r\n\r\n"));
            var read = connection.ReadAsync(new byte[1024]).AsTask();

            var silent = await GivenUpAsync(read);

            Assert.Equal(AttemptFailure.SilentUnacknowledged, silent.Failure);
            var write = await Assert.ThrowsAsync<SilentReplicaException>(() => connection.WriteAsync(new byte[1]).AsTask());
            Assert.Equal(AttemptFailure.SilentUnacknowledged, write.Failure);
        }
    }

    [Fact]
    public async Task RequestWhoseHeadWasAcknowledged_ThenSilent_FailsAsAcknowledged()
    {
        await using var replica = await Replica.StartAsync("127.0.0.94");
        await using var connection = await ConnectAsync(replica);
        await ExchangeAsync(connection, replica);

        WatchedConnection.MarkRequest();
        await connection.WriteAsync(Encoding.ASCII.GetBytes("POST /pay HTTP/1.1\r\nHost: r\r\nContent-Length: 5\r\n\r\n"));
        await replica.ReceivedAsync(2);
        using (PacketDrop.To("127.0.0.94", replica.Port))
        {
            await connection.WriteAsync("pay-1"u8.ToArray());
            var read = connection.ReadAsync(new byte[1024]).AsTask();

            var silent = await GivenUpAsync(read);

            Assert.Equal(AttemptFailure.SilentAcknowledged, silent.Failure);
        }
    }

    [Fact]
    public async Task ReplicaThatAcknowledgesButIsSlowToAnswer_IsNeverGivenUp()
    {
        await using var replica = await Replica.StartAsync("127.0.0.1");
        await using var connection = await ConnectAsync(replica);
        WatchedConnection.MarkRequest();
        await connection.WriteAsync(Encoding.ASCII.GetBytes("GET /slow HTTP/1.1\r\nHost: r\r\n\r\n"));
        var read = connection.ReadAsync(new byte[1024]).AsTask();
        await replica.ReceivedAsync(1);

        // Well past the timeout on both clocks (the kernel's is real time, not to be faked), looked at every tick: nothing
        // is outstanding, so the read stays pending.
        await Continually.HoldsAsync(
            () =>
            {
                _time.Advance(SilentReplicaWatch.CheckInterval);
                return !read.IsCompleted;
            },
            TimeSpan.FromMilliseconds(1000),
            "the read staying pending",
            SilentReplicaWatch.CheckInterval);

        await replica.AnswerAsync();
        Assert.True(await read > 0);
    }

    public void Dispose() => _watch.Dispose();

    private async Task<WatchedConnection> ConnectAsync(Replica replica)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(replica.Ip), replica.Port));
        return new WatchedConnection(socket, _watch);
    }

    /// <summary>One request and its answer, as SocketsHttpHandler sends it: marked, written, read.</summary>
    private static async Task ExchangeAsync(WatchedConnection connection, Replica replica)
    {
        WatchedConnection.MarkRequest();
        await connection.WriteAsync(Encoding.ASCII.GetBytes("GET /first HTTP/1.1\r\nHost: r\r\n\r\n"));
        await replica.ReceivedAsync(1);
        await replica.AnswerAsync();
        Assert.True(await connection.ReadAsync(new byte[1024]) > 0);
    }

    /// <summary>Advances the watch's clock a tick at a time until it gives the connection up; the read's exception.</summary>
    private async Task<SilentReplicaException> GivenUpAsync(Task<int> read)
    {
        await WaitUntilAsync(() =>
        {
            _time.Advance(SilentReplicaWatch.CheckInterval);
            return read.IsCompleted;
        }, "the watch to give the connection up");
        return await Assert.ThrowsAsync<SilentReplicaException>(() => read);
    }

    /// <summary>A replica that takes what it is sent (its kernel acknowledges it) and answers when told to.</summary>
    private sealed class Replica : IAsyncDisposable
    {
        private readonly Socket _listener;
        private Socket? _accepted;
        private int _writes;

        private Replica(Socket listener, string ip)
        {
            _listener = listener;
            Ip = ip;
        }

        public string Ip { get; }

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public static Task<Replica> StartAsync(string ip)
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Parse(ip), 0));
            listener.Listen();
            var replica = new Replica(listener, ip);
            _ = replica.ReadAllAsync();
            return Task.FromResult(replica);
        }

        /// <summary>Waits until <paramref name="writes"/> separate writes have arrived.</summary>
        public Task ReceivedAsync(int writes) => WaitUntilAsync(() => Volatile.Read(ref _writes) >= writes, $"{writes} writes at the replica");

        public Task AnswerAsync() => _accepted!.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray().AsMemory(), SocketFlags.None).AsTask();

        private async Task ReadAllAsync()
        {
            try
            {
                _accepted = await _listener.AcceptAsync();
                var buffer = new byte[4096];
                while (await _accepted.ReceiveAsync(buffer) > 0)
                {
                    Interlocked.Increment(ref _writes);
                }
            }
            catch (Exception)
            {
                // Closed.
            }
        }

        public ValueTask DisposeAsync()
        {
            _accepted?.Dispose();
            _listener.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
