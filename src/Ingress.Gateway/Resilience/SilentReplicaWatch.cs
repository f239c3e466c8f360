using System.Collections.Concurrent;
using System.Net.Sockets;
using Ingress.Gateway.Transport;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Resilience;

/// <summary>
/// The YARP pipeline's side of <see cref="SilentReplica"/>: it makes the connections to replicas itself (as
/// <c>SocketsHttpHandler</c>'s <c>ConnectCallback</c>) and, for those whose request went out with no answer yet, asks
/// the kernel whether the replica went silent. Such a connection is given up, so the attempt fails at once as a
/// connection failure, which <see cref="ForwarderFailure"/> retries when none of the request reached the replica.
/// </summary>
/// <remarks>
/// The relay keeps the same rule on its event loops' tick; this looks every <see cref="CheckInterval"/> (the same
/// 100 ms) at the connections that wait on an answer, and asks the kernel only about those waiting longer than
/// <see cref="ResilienceOptions.UnacknowledgedTimeout"/>.
/// </remarks>
internal sealed partial class SilentReplicaWatch : IDisposable
{
    /// <summary>How often waiting connections are looked at: the relay's tick.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(EventLoop.TickInterval);

    private readonly ConcurrentDictionary<WatchedConnection, byte> _connections = new();
    private readonly TimeProvider _time;
    private readonly long _ticksPerMs;
    private readonly ILogger<SilentReplicaWatch> _logger;
    private readonly ITimer _timer;
    private int _inspecting;

    public SilentReplicaWatch(IOptions<ResilienceOptions> options, TimeProvider time, ILogger<SilentReplicaWatch> logger)
    {
        _time = time;
        _ticksPerMs = Math.Max(time.TimestampFrequency / 1000, 1);
        _logger = logger;
        TimeoutMs = Math.Max((long)options.Value.UnacknowledgedTimeout.TotalMilliseconds, 1);
        _timer = time.CreateTimer(static state => ((SilentReplicaWatch)state!).InspectAll(), this, CheckInterval, CheckInterval);
    }

    /// <summary><see cref="ResilienceOptions.UnacknowledgedTimeout"/>, in milliseconds.</summary>
    public long TimeoutMs { get; }

    /// <summary>The watch's clock, in milliseconds.</summary>
    public long NowMs => _time.GetTimestamp() / _ticksPerMs;

    /// <summary>The connections being watched (open and not yet disposed by <c>SocketsHttpHandler</c>).</summary>
    public int Count => _connections.Count;

    /// <summary>
    /// <c>SocketsHttpHandler.ConnectCallback</c>: connects as the handler itself would (a dual-mode socket, no Nagle), and
    /// wraps the stream so the connection is watched. Failures surface as the handler's own connect failures.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new WatchedConnection(socket, this);
    }

    /// <summary>Wraps the client's handler so each request marks the bytes written for it (<see cref="WatchedConnection.MarkRequest"/>).</summary>
    public HttpMessageHandler MarkRequests(HttpMessageHandler handler) => new RequestMarker(handler);

    internal void Add(WatchedConnection connection) => _connections.TryAdd(connection, 0);

    internal void Remove(WatchedConnection connection) => _connections.TryRemove(connection, out _);

    /// <summary>One look at every watched connection (the timer's callback; also callable from tests).</summary>
    internal void InspectAll()
    {
        // A slow pass must not overlap the next one: each connection's watch bookkeeping has one writer.
        if (Interlocked.Exchange(ref _inspecting, 1) == 1)
        {
            return;
        }

        try
        {
            var now = NowMs;
            foreach (var (connection, _) in _connections)
            {
                try
                {
                    connection.Inspect(now, TimeoutMs);
                }
                catch (Exception ex)
                {
                    // A timer callback that throws would end the process; one connection's failure must not stop the watch.
                    LogInspectFailed(ex);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _inspecting, 0);
        }
    }

    public void Dispose() => _timer.Dispose();

    /// <summary>Marks each request's flow, so its connection knows where the request's bytes start.</summary>
    private sealed class RequestMarker(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // Not an async method: its own flow would end before SocketsHttpHandler writes. Set in the caller's flow (the
            // forwarder's async method), the mark reaches the writes and is gone when that method returns.
            WatchedConnection.MarkRequest(request.Method == HttpMethod.Head);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
