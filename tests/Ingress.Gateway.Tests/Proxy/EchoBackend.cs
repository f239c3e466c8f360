using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Ingress.Gateway.Tests.Proxy;

/// <summary>
/// A real gRPC server (Grpc.AspNetCore on Kestrel) serving <c>echo.proto</c>'s Echo service over HTTP/2 cleartext only,
/// as gRPC servers in a swarm do; it records what it saw of cancellation, which a client cannot see.
/// </summary>
internal sealed class EchoBackend : IAsyncDisposable
{
    private WebApplication? _app;
    private int _hangsStarted;
    private int _hangsCancelled;
    private long _lastHangDeadlineTicks;

    private EchoBackend(string name, string ip)
    {
        Name = name;
        Ip = ip;
    }

    /// <summary>The replica's name, in every reply.</summary>
    public string Name { get; }

    public string Ip { get; }

    public int Port { get; private set; }

    /// <summary>Calls of <c>Hang</c> that reached the server.</summary>
    public int HangsStarted => Volatile.Read(ref _hangsStarted);

    /// <summary>Calls of <c>Hang</c> whose cancellation the server saw (a deadline or the client's RST_STREAM).</summary>
    public int HangsCancelled => Volatile.Read(ref _hangsCancelled);

    /// <summary>The deadline the server saw on the last <c>Hang</c> (from <c>grpc-timeout</c>); <see cref="DateTime.MaxValue"/> for none.</summary>
    public DateTime LastHangDeadline => new(Interlocked.Read(ref _lastHangDeadlineTicks), DateTimeKind.Utc);

    public static async Task<EchoBackend> StartAsync(string name, string ip = "127.0.0.1", int port = 0)
    {
        var backend = new EchoBackend(name, ip);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(ip), port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(backend);
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        backend._app = app;
        backend.Port = new Uri(address).Port;
        return backend;
    }

    /// <summary>Starts one server per name on the same port of 127.0.0.2, .3, ...: a service's tasks share their target port.</summary>
    public static async Task<EchoBackend[]> StartReplicasAsync(params string[] names)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort.Next();
            var started = new List<EchoBackend>();
            try
            {
                for (var i = 0; i < names.Length; i++)
                {
                    started.Add(await StartAsync(names[i], $"127.0.0.{i + 2}", port));
                }

                return [.. started];
            }
            catch (IOException) when (attempt < 5)
            {
                // The port was taken meanwhile: release what started and pick another.
                foreach (var backend in started)
                {
                    await backend.DisposeAsync();
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private sealed class EchoService(EchoBackend backend) : Echo.EchoBase
    {
        public override Task<EchoReply> Unary(EchoRequest request, ServerCallContext context)
        {
            context.ResponseTrailers.Add("x-replica", backend.Name);
            return Task.FromResult(new EchoReply { Text = request.Text, Sequence = 1, Replica = backend.Name });
        }

        public override async Task Count(EchoRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
        {
            for (var i = 1; i <= request.Count; i++)
            {
                await responseStream.WriteAsync(new EchoReply { Text = request.Text, Sequence = i, Replica = backend.Name }, context.CancellationToken);
            }
        }

        public override async Task<EchoReply> Join(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
        {
            var texts = new List<string>();
            await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
            {
                texts.Add(request.Text);
            }

            return new EchoReply { Text = string.Join(',', texts), Sequence = texts.Count, Replica = backend.Name };
        }

        public override async Task Chat(IAsyncStreamReader<EchoRequest> requestStream, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
        {
            var sequence = 0;
            await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(new EchoReply { Text = request.Text, Sequence = ++sequence, Replica = backend.Name }, context.CancellationToken);
            }
        }

        public override async Task<EchoReply> Hang(EchoRequest request, ServerCallContext context)
        {
            Interlocked.Exchange(ref backend._lastHangDeadlineTicks, context.Deadline.Ticks);
            Interlocked.Increment(ref backend._hangsStarted);
            try
            {
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref backend._hangsCancelled);
                throw;
            }

            throw new InvalidOperationException("An infinite delay ended.");
        }

        public override Task<EchoReply> Fail(EchoRequest request, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.NotFound, request.Text), new Metadata { { "x-missing", request.Text } });
    }
}
