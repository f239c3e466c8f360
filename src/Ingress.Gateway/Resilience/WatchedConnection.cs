using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Ingress.Gateway.Http1;
using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Resilience;

/// <summary>
/// A connection of the YARP pipeline to a replica, as <c>SocketsHttpHandler</c> sees it: the socket's stream, plus what
/// <see cref="SilentReplicaWatch"/> needs to find the replica silent. It counts the bytes written before each request,
/// arms the watch when a request's bytes go out, and disarms it when the replica's answer starts; once the watch has
/// given the connection up, every pending and later operation fails with a <see cref="SilentReplicaException"/>.
/// </summary>
/// <remarks>
/// <para>
/// It also follows the responses as <c>SocketsHttpHandler</c> reads them (<see cref="ResponseStreamScanner"/>): a response
/// the relay would refuse fails the read, and a bodiless response that announced a body gets one byte more after its
/// head. <c>SocketsHttpHandler</c> takes a byte past a complete response for unexpected data and closes the connection
/// instead of pooling it (its public behaviour, whichever way it would hand the connection on), so no late bytes of that
/// body can become the next request's answer.
/// </para>
/// <para>
/// Which request the bytes belong to comes from <see cref="MarkRequest"/>, set in the request's own flow: over HTTP/1.1
/// <c>SocketsHttpHandler</c> writes a request's bytes from that flow. Where it does not (HTTP/2 writes every stream from
/// one loop), the start of the request is never moved forward, so bytes acknowledged for earlier requests count as this
/// one's: the request is taken as received, which is the safe way to be wrong.
/// </para>
/// </remarks>
internal sealed class WatchedConnection : Stream
{
    /// <summary>The value of <see cref="_checkAt"/> once the watch has given the connection up.</summary>
    private const long GivenUp = -1;

    /// <summary>The byte added after the head of a bodiless response that announced a body; never forwarded.</summary>
    private const byte UnexpectedByte = (byte)'!';

    private static readonly AsyncLocal<RequestMark?> s_request = new();

    private readonly Socket _socket;
    private readonly NetworkStream _inner;
    private readonly SilentReplicaWatch _watch;

    // Written by the request's flow only (and the response's, which follows it).
    private RequestMark? _request;
    private ResponseStreamScanner _responses;
    private bool _notHttp1;
    private int _heldByte = -1;
    private ulong _written;
    private long _lastArmed;

    // Read by the watch's timer too.
    private ulong _sentBeforeRequest;
    private long _checkAt;
    private volatile bool _answered;
    private AttemptFailure _failure;

    // The watch's own bookkeeping, touched by its timer only.
    private long _armedSeen;
    private long _nextLook;

    public WatchedConnection(Socket socket, SilentReplicaWatch watch)
    {
        _socket = socket;
        _inner = new NetworkStream(socket, ownsSocket: true);
        _watch = watch;
        watch.Add(this);
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Says that the bytes written from this flow on belong to a new request (<paramref name="headRequest"/>: a HEAD). A
    /// mark of its own rather than the request, so an idle connection does not keep its last request (and what that
    /// refers to) alive.
    /// </summary>
    public static void MarkRequest(bool headRequest = false) => s_request.Value = new RequestMark(headRequest);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        BeforeWrite(buffer.Span);
        ValueTask write;
        try
        {
            write = _inner.WriteAsync(buffer, cancellationToken);
        }
        catch (Exception ex) when (GivenUpWith(ex) is { } silent)
        {
            throw silent;
        }

        return write.IsCompletedSuccessfully ? default : AwaitWrite(write);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        BeforeWrite(buffer);
        try
        {
            _inner.Write(buffer);
        }
        catch (Exception ex) when (GivenUpWith(ex) is { } silent)
        {
            throw silent;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfGivenUp();
        if (_heldByte >= 0)
        {
            return new ValueTask<int>(ReleaseHeldByte(buffer.Span));
        }

        ValueTask<int> read;
        try
        {
            read = _inner.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception ex) when (GivenUpWith(ex) is { } silent)
        {
            throw silent;
        }

        if (!read.IsCompletedSuccessfully)
        {
            return AwaitRead(read, buffer);
        }

        return new ValueTask<int>(AfterRead(buffer.Span, read.Result));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        ThrowIfGivenUp();
        if (_heldByte >= 0)
        {
            return ReleaseHeldByte(buffer);
        }

        int read;
        try
        {
            read = _inner.Read(buffer);
        }
        catch (Exception ex) when (GivenUpWith(ex) is { } silent)
        {
            throw silent;
        }

        return AfterRead(buffer, read);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// The watch's look at the connection (its timer's thread), at <paramref name="nowMs"/>: when request bytes have been
    /// out for the timeout with no answer, asks the kernel, and gives the connection up if the replica is silent.
    /// </summary>
    internal void Inspect(long nowMs, long timeoutMs)
    {
        var armed = Volatile.Read(ref _checkAt);
        if (armed <= 0)
        {
            return;
        }

        if (armed != _armedSeen)
        {
            // Armed anew (another request, or the body after an interim answer): the first look is due at its own time.
            _armedSeen = armed;
            _nextLook = armed;
        }

        if (nowMs < _nextLook)
        {
            return;
        }

        if (!TcpInfo.TryRead(_socket, out var info))
        {
            return;
        }

        if (SilentReplica.Check(info, timeoutMs, Volatile.Read(ref _sentBeforeRequest)) is not { } failure)
        {
            _nextLook = nowMs + SilentReplica.NextCheckDelayMs(info, timeoutMs);
            return;
        }

        _failure = failure;
        if (Interlocked.CompareExchange(ref _checkAt, GivenUp, armed) != armed)
        {
            // The answer started (or the connection was armed anew) meanwhile: not silent after all.
            return;
        }

        // A reset rather than a FIN: the unacknowledged bytes are dropped at once, not retransmitted to a dead host for
        // minutes. Pending reads and writes fail, and report the silence (GivenUpWith).
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Closed already.
        }

        _socket.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _watch.Remove(this);
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        _watch.Remove(this);
        return _inner.DisposeAsync();
    }

    private void BeforeWrite(ReadOnlySpan<byte> bytes)
    {
        var length = bytes.Length;
        var armed = Volatile.Read(ref _checkAt);
        if (armed == GivenUp)
        {
            ThrowIfGivenUp();
        }

        if (s_request.Value is { } request && !ReferenceEquals(request, _request))
        {
            // The first byte of another request: what came before it belongs to the earlier ones.
            _request = request;
            _answered = false;
            Volatile.Write(ref _sentBeforeRequest, _written);

            // HTTP/2 (its preface first) is framed otherwise: its responses are HttpClient's alone to judge.
            _notHttp1 |= _written == 0 && bytes.StartsWith("PRI * HTTP/2"u8);
            _responses.Reset(request.HeadRequest);
            if (_notHttp1)
            {
                _responses.Stop();
            }
        }

        _written += (ulong)length;
        if (armed == 0)
        {
            // Never the same value twice, so the watch can tell each arming from the one before. A compare-exchange: a
            // connection the watch gave up meanwhile stays given up, and this write fails.
            _lastArmed = Math.Max(_watch.NowMs + _watch.TimeoutMs, _lastArmed + 1);
            Interlocked.CompareExchange(ref _checkAt, _lastArmed, 0);
        }
    }

    /// <summary>After <paramref name="count"/> bytes were read into <paramref name="buffer"/>: how many SocketsHttpHandler gets.</summary>
    private int AfterRead(Span<byte> buffer, int count)
    {
        if (count <= 0)
        {
            return count;
        }

        var forbidden = _responses.ReuseForbidden;
        var scanned = _responses.Scan(buffer[..count]);
        if (_responses.IsInvalid)
        {
            throw new InvalidReplicaResponseException();
        }

        Answered();
        if (forbidden || !_responses.ReuseForbidden || scanned < count)
        {
            // Nothing to add, or bytes past the head already make SocketsHttpHandler close the connection.
            return count;
        }

        // A bodiless response that announced a body, whose head ends with this read: one byte more, past its end.
        if (count < buffer.Length)
        {
            buffer[count] = UnexpectedByte;
            return count + 1;
        }

        if (count > 1)
        {
            // No room after it: its last byte comes with the extra one, on the next read.
            _heldByte = buffer[count - 1];
            return count - 1;
        }

        return count;
    }

    private int ReleaseHeldByte(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        buffer[0] = (byte)_heldByte;
        _heldByte = -1;
        if (buffer.Length == 1)
        {
            return 1;
        }

        buffer[1] = UnexpectedByte;
        return 2;
    }

    private void Answered()
    {
        // The replica is answering: nothing to watch until the next request's bytes go out.
        _answered = true;
        var armed = Volatile.Read(ref _checkAt);
        while (armed > 0)
        {
            var seen = Interlocked.CompareExchange(ref _checkAt, 0, armed);
            if (seen == armed)
            {
                break;
            }

            armed = seen;
        }
    }

    private void ThrowIfGivenUp()
    {
        if (GivenUpWith(null) is { } silent)
        {
            throw silent;
        }
    }

    /// <summary>The exception that says why, once the watch has given the connection up; null before.</summary>
    private SilentReplicaException? GivenUpWith(Exception? inner)
    {
        if (Volatile.Read(ref _checkAt) != GivenUp)
        {
            return null;
        }

        // An answer that arrived as the connection was given up proves the replica had the request.
        var failure = _answered ? AttemptFailure.SilentAcknowledged : _failure;
        return new SilentReplicaException(failure, TimeSpan.FromMilliseconds(_watch.TimeoutMs), inner);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitWrite(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex) when (GivenUpWith(ex) is { } silent)
        {
            throw silent;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> AwaitRead(ValueTask<int> read, Memory<byte> buffer)
    {
        int count;
        try
        {
            count = await read.ConfigureAwait(false);
        }
        catch (Exception ex) when (GivenUpWith(ex) is { } silent)
        {
            throw silent;
        }

        return AfterRead(buffer.Span, count);
    }

    /// <summary>One request's mark: a fresh object per request (see <see cref="MarkRequest"/>), and whether it is a HEAD.</summary>
    private sealed class RequestMark(bool headRequest)
    {
        public bool HeadRequest { get; } = headRequest;
    }
}
