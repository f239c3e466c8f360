using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using Ingress.Gateway.Tests.Tls;
using static Ingress.Gateway.Tests.Common.Swarm;

namespace Ingress.Gateway.Tests.Proxy;

/// <summary>
/// gRPC end to end: a real Grpc.Net.Client on the gateway's TLS port (ALPN h2), the gateway, and a real Grpc.AspNetCore
/// server that speaks only HTTP/2 over cleartext, registered as a service with <c>ingress.scheme=h2c</c>. The TLS port
/// is served by Kestrel and YARP whether the relay is on or not; both settings are run where the call shape matters.
/// </summary>
public sealed class GrpcEndToEndTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Unary_ThroughTheTlsPort_ReachesTheH2cServer_WithItsTrailers(bool relay)
    {
        await using var grpc = await GrpcGateway.StartAsync(relay);

        using var call = grpc.Client.UnaryAsync(new EchoRequest { Text = "hello" }, deadline: Deadline());
        var reply = await call.ResponseAsync;

        Assert.Equal("hello", reply.Text);
        Assert.Equal("echo-1", reply.Replica);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("echo-1", call.GetTrailers().GetValue("x-replica"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Unary_ToThreeReplicas_RotatesCallByCall_OnOneConnection(bool relay)
    {
        // gRPC keeps one HTTP/2 connection open: balancing per connection would send every call to one replica.
        await using var grpc = await GrpcGateway.StartAsync(relay, replicas: 3);

        var replicas = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            replicas.Add((await grpc.Client.UnaryAsync(new EchoRequest { Text = "who?" }, deadline: Deadline())).Replica);
        }

        Assert.Equal(3, replicas.Distinct().Count());
        Assert.All(replicas.Select((r, i) => (r, i)), x => Assert.Equal(replicas[x.i % 3], x.r));
        Assert.Equal(1, grpc.Connections);
    }

    [Fact]
    public async Task ServerStreaming_AHundredMessages_ArriveAllInOrder()
    {
        await using var grpc = await GrpcGateway.StartAsync();

        using var call = grpc.Client.Count(new EchoRequest { Text = "n", Count = 100 }, deadline: Deadline());
        var sequences = new List<int>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            sequences.Add(reply.Sequence);
        }

        Assert.Equal(Enumerable.Range(1, 100), sequences);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ClientStreaming_FiftyMessages_ReachTheServerAllInOrder()
    {
        await using var grpc = await GrpcGateway.StartAsync();
        var texts = Enumerable.Range(1, 50).Select(i => "m" + i.ToString(CultureInfo.InvariantCulture)).ToArray();

        using var call = grpc.Client.Join(deadline: Deadline());
        foreach (var text in texts)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = text });
        }

        await call.RequestStream.CompleteAsync();
        var reply = await call.ResponseAsync;

        Assert.Equal(50, reply.Sequence);
        Assert.Equal(string.Join(',', texts), reply.Text);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BidirectionalStreaming_EachMessage_IsAnsweredBeforeTheNextIsSent(bool relay)
    {
        // Ping-pong: the next request is written only after the reply to the previous one arrived, so a gateway that
        // buffered either direction until its end would stall this call into its deadline.
        await using var grpc = await GrpcGateway.StartAsync(relay);

        using var call = grpc.Client.Chat(deadline: Deadline());
        for (var i = 1; i <= 20; i++)
        {
            var text = "ping " + i.ToString(CultureInfo.InvariantCulture);
            await call.RequestStream.WriteAsync(new EchoRequest { Text = text });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), $"No reply to {text}");
            Assert.Equal(text, call.ResponseStream.Current.Text);
            Assert.Equal(i, call.ResponseStream.Current.Sequence);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Deadline_ReachesTheServer_WhichSeesTheCallCancelled()
    {
        await using var grpc = await GrpcGateway.StartAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await grpc.Client.HangAsync(new EchoRequest(), deadline: DateTime.UtcNow.AddSeconds(1)));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        await Eventually.WaitUntilAsync(() => grpc.Backend.HangsCancelled == 1, "the server to see the call cancelled");
        // The server had a deadline of its own: grpc-timeout went through the gateway.
        Assert.NotEqual(DateTime.MaxValue, grpc.Backend.LastHangDeadline);
    }

    [Fact]
    public async Task Cancellation_ByTheClient_ReachesTheServer()
    {
        await using var grpc = await GrpcGateway.StartAsync();
        using var cancel = new CancellationTokenSource();

        using var call = grpc.Client.HangAsync(new EchoRequest(), cancellationToken: cancel.Token);
        await Eventually.WaitUntilAsync(() => grpc.Backend.HangsStarted == 1, "the call to reach the server");
        await cancel.CancelAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseAsync);
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        // No deadline here: only the stream reset the gateway passed on can have cancelled the server's call.
        await Eventually.WaitUntilAsync(() => grpc.Backend.HangsCancelled == 1, "the server to see the call cancelled");
        Assert.Equal(DateTime.MaxValue, grpc.Backend.LastHangDeadline);
    }

    [Fact]
    public async Task Status_NotFoundWithDetailAndTrailer_ReachesTheClientAsSent()
    {
        await using var grpc = await GrpcGateway.StartAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await grpc.Client.FailAsync(new EchoRequest { Text = "no such order" }, deadline: Deadline()));

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("no such order", ex.Status.Detail);
        Assert.Equal("no such order", ex.Trailers.GetValue("x-missing"));
    }

    [Fact]
    public async Task Call_ToAServiceWithNoReplica_FailsUnavailable_NotAHang()
    {
        await using var grpc = await GrpcGateway.StartAsync();
        var client = grpc.ClientFor("empty.test");

        // Within a deadline, so that a hang shows as DeadlineExceeded, not as a test that never ends.
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.UnaryAsync(new EchoRequest { Text = "anyone?" }, deadline: Deadline()));

        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        Assert.Contains("HTTP status code: 503", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Call_OnTheCleartextEntryPort_FailsWithHttp11Required_NotAHang(bool relay)
    {
        // A cleartext entry port offers HTTP/1.1 only (Kestrel does not offer h2c beside HTTP/1.1 without TLS, and the
        // relay speaks HTTP/1.1): a gRPC client's prior-knowledge HTTP/2 must get an error, not a hang.
        await using var grpc = await GrpcGateway.StartAsync(relay);
        var client = grpc.ClientFor("grpc.test", tls: false);

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.UnaryAsync(new EchoRequest { Text = "h2c?" }, deadline: Deadline()));

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Contains("HTTP_1_1_REQUIRED", ex.Status.Detail, StringComparison.Ordinal);
    }

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(10);

    /// <summary>
    /// A gateway with a TLS port, gRPC servers behind it as the service <c>grpc</c> (host <c>grpc.test</c>,
    /// <c>ingress.scheme=h2c</c>), and the service <c>empty</c> (host <c>empty.test</c>) scaled to zero; ready once a call
    /// through the TLS port has succeeded.
    /// </summary>
    private sealed class GrpcGateway : IAsyncDisposable
    {
        private readonly TestCertificates _certificates;
        private readonly List<GrpcChannel> _channels = [];
        private int _connections;

        private GrpcGateway(TestCertificates certificates, GatewayTestHost gateway, EchoBackend[] backends)
        {
            _certificates = certificates;
            Gateway = gateway;
            Backends = backends;
            Client = ClientFor("grpc.test");
        }

        public GatewayTestHost Gateway { get; }

        /// <summary>The service's replicas, named echo-1, echo-2, ...</summary>
        public EchoBackend[] Backends { get; }

        public EchoBackend Backend => Backends[0];

        /// <summary>TCP connections the clients opened to the gateway.</summary>
        public int Connections => Volatile.Read(ref _connections);

        /// <summary>A client of the service <c>grpc</c>.</summary>
        public Echo.EchoClient Client { get; }

        public static async Task<GrpcGateway> StartAsync(bool relay = true, int replicas = 1)
        {
            var certificates = new TestCertificates();
            certificates.WriteCombined("site.pem", "grpc.test", "empty.test");
            var backends = await EchoBackend.StartReplicasAsync([.. Enumerable.Range(1, replicas).Select(i => "echo-" + i.ToString(CultureInfo.InvariantCulture))]);
            var gateway = await GatewayTestHost.StartAsync(
                new Dictionary<string, string?>
                {
                    ["Ingress:Tls:CertificatesPath"] = certificates.Folder,
                    ["Ingress:Transport:Relay"] = relay.ToString(CultureInfo.InvariantCulture),
                },
                tlsPortCount: 1);
            var grpc = new GrpcGateway(certificates, gateway, backends);
            var port = backends[0].Port.ToString(CultureInfo.InvariantCulture);
            gateway.Sink.Publish(Snapshot(
                "docker",
                Service(
                    "grpc",
                    Labels("ingress.host=grpc.test", $"ingress.port={port}", "ingress.scheme=h2c"),
                    [.. backends.Select((b, i) => Task(b.Name, b.Ip, i + 1))]),
                Service("empty", Labels("ingress.host=empty.test", $"ingress.port={port}", "ingress.scheme=h2c"), [])));
            await Eventually.WaitAsync(grpc.TryUnaryAsync, status => status.StatusCode == StatusCode.OK, TimeSpan.FromSeconds(10), "a gRPC call through the TLS port to succeed");
            return grpc;
        }

        /// <summary>A client for the service with host <paramref name="host"/>, through the gateway's TLS port, or its cleartext entry port.</summary>
        public Echo.EchoClient ClientFor(string host, bool tls = true)
        {
            var port = tls ? Gateway.TlsPorts[0] : Gateway.EntryPorts[0];
            var channel = GrpcChannel.ForAddress(
                $"{(tls ? "https" : "http")}://{host}:{port.ToString(CultureInfo.InvariantCulture)}",
                new GrpcChannelOptions { HttpHandler = TlsClient.Handler(_certificates, port, () => Interlocked.Increment(ref _connections)), DisposeHttpClient = true });
            _channels.Add(channel);
            return new Echo.EchoClient(channel);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var channel in _channels)
            {
                channel.Dispose();
            }

            await Gateway.DisposeAsync();
            foreach (var backend in Backends)
            {
                await backend.DisposeAsync();
            }

            _certificates.Dispose();
        }

        /// <summary>One unary call's status, so that a gateway never ready says how its calls failed.</summary>
        private async Task<Status> TryUnaryAsync()
        {
            try
            {
                using var call = Client.UnaryAsync(new EchoRequest { Text = "ready?" }, deadline: Deadline());
                await call.ResponseAsync;
                return call.GetStatus();
            }
            catch (RpcException ex)
            {
                return ex.Status;
            }
        }
    }
}
