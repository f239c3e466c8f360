using System.Buffers;
using System.Diagnostics;
using System.Net;
using Ingress.LoadTests.Measurement;

namespace Ingress.LoadTests.Running;

/// <summary>One simulated client: sends a request at a time and records what came back.</summary>
/// <remarks>
/// Per request it allocates only what HttpClient's stack requires (the request and response
/// messages); the URI, the body buffer and the timeout source are its own and reused.
/// </remarks>
internal sealed class VirtualUser : IDisposable
{
    // The first bytes of a body are kept for host-name counting; the rest is read past them and dropped.
    private const int CaptureBytes = HostNameTally.MaxNameBytes;
    private const int BufferBytes = CaptureBytes + 16 * 1024;

    private readonly HttpMessageInvoker _invoker;
    private readonly Uri _target;
    private readonly bool _keepAlive;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _runToken;
    private readonly CancellationTokenRegistration _runRegistration;
    private readonly byte[] _buffer;
    private CancellationTokenSource _requestCts = new();

    public VirtualUser(HttpMessageInvoker invoker, LoadOptions options, CancellationToken runToken)
    {
        _invoker = invoker;
        _target = options.Target;
        _keepAlive = options.KeepAlive;
        _timeout = options.RequestTimeout;
        _runToken = runToken;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);

        // Cancelling the run aborts the request in flight instead of waiting out its timeout.
        _runRegistration = runToken.UnsafeRegister(static state => ((VirtualUser)state!).CancelInFlight(), this);
    }

    /// <summary>Sends one GET and records its latency from <paramref name="originTimestamp"/>, its status or its error.</summary>
    public async ValueTask SendAsync(long originTimestamp, LatencyRecorder latency, WorkerStats stats)
    {
        var cts = _requestCts;
        cts.CancelAfter(_timeout);
        var request = new HttpRequestMessage(HttpMethod.Get, _target)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (!_keepAlive)
        {
            request.Headers.ConnectionClose = true;
        }

        try
        {
            using var response = await _invoker.SendAsync(request, cts.Token).ConfigureAwait(false);
            var captured = await ReadBodyAsync(response, cts.Token).ConfigureAwait(false);
            latency.Record(originTimestamp, Stopwatch.GetTimestamp());

            var status = (int)response.StatusCode;
            stats.RecordResponse(status);
            if (stats.HostNames is { } hostNames && status is >= 200 and < 300)
            {
                hostNames.Count(_buffer.AsSpan(0, captured));
            }
        }
        catch (Exception ex) when (!_runToken.IsCancellationRequested)
        {
            stats.RecordError(TransportErrorClassifier.Classify(ex, timedOut: cts.IsCancellationRequested));
        }
        catch (Exception) when (_runToken.IsCancellationRequested)
        {
            // The run was cancelled under this request: not the target's fault, not counted.
        }
        finally
        {
            request.Dispose();
            if (!cts.TryReset())
            {
                RenewTimeoutSource(cts);
            }
        }
    }

    public void Dispose()
    {
        _runRegistration.Dispose();
        _requestCts.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
    }

    // Reads the whole body so the connection goes back to the pool; returns how many leading bytes were kept.
    private async ValueTask<int> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // SocketsHttpHandler's content hands back its stream without I/O, so the synchronous
        // overload is not blocking; it just saves the Task the async one would allocate.
        var stream = response.Content.ReadAsStream(cancellationToken);
        var captured = 0;
        while (true)
        {
            var target = captured < CaptureBytes ? _buffer.AsMemory(captured, BufferBytes - captured) : _buffer.AsMemory(CaptureBytes, BufferBytes - CaptureBytes);
            var read = await stream.ReadAsync(target, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return captured;
            }

            if (captured < CaptureBytes)
            {
                captured = Math.Min(captured + read, CaptureBytes);
            }
        }
    }

    private void CancelInFlight()
    {
        try
        {
            Volatile.Read(ref _requestCts).Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Replaced after a timeout between our read and the cancel; the run ends anyway.
        }
    }

    // A source whose timer fired cannot be reset, so the rare timed-out request pays for a new one.
    private void RenewTimeoutSource(CancellationTokenSource fired)
    {
        Volatile.Write(ref _requestCts, new CancellationTokenSource());
        fired.Dispose();
        if (_runToken.IsCancellationRequested)
        {
            _requestCts.Cancel();
        }
    }
}
