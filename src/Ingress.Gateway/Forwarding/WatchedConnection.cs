using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Forwarding;

/// <summary>
/// A connection of the YARP pipeline to a replica, as <c>SocketsHttpHandler</c> sees it: the socket's stream, plus what
/// <see cref="SilentReplicaWatch"/> needs to find the replica silent. It counts the bytes written before each request,
/// arms the watch when a request's bytes go out, and disarms it when the replica's answer starts; once the watch has
/// given the connection up, every pending and later operation fails with a <see cref="SilentReplicaException"/>.
/// </summary>
/// <remarks>
/// Which request the bytes belong to comes from <see cref="MarkRequest"/>, set in the request's own flow: over HTTP/1.1
/// <c>SocketsHttpHandler</c> writes a request's bytes from that flow. Where it does not (HTTP/2 writes every stream from
/// one loop), the start of the request is never moved forward, so bytes acknowledged for earlier requests count as this
/// one's: the request is taken as received, which is the safe way to be wrong.
/// </remarks>
internal sealed class WatchedConnection : Stream
{
    /// <summary>The value of <see cref="_checkAt"/> once the watch has given the connection up.</summary>
    private const long GivenUp = -1;

    private static readonly AsyncLocal<object?> s_request = new();

    private readonly Socket _socket;
    private readonly NetworkStream _inner;
    private readonly SilentReplicaWatch _watch;

    // Written by the request's flow only.
    private object? _request;
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
    /// Says that the bytes written from this flow on belong to a new request. A mark of its own rather than the request,
    /// so an idle connection does not keep its last request (and what that refers to) alive.
    /// </summary>
    public static void MarkRequest() => s_request.Value = new object();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        BeforeWrite(buffer.Length);
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
        BeforeWrite(buffer.Length);
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
            return AwaitRead(read);
        }

        AfterRead(read.Result);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        ThrowIfGivenUp();
        int read;
        try
        {
            read = _inner.Read(buffer);
        }
        catch (Exception ex) when (GivenUpWith(ex) is { } silent)
        {
            throw silent;
        }

        AfterRead(read);
        return read;
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

    private void BeforeWrite(int length)
    {
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

    private void AfterRead(int read)
    {
        if (read <= 0)
        {
            return;
        }

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
    private async ValueTask<int> AwaitRead(ValueTask<int> read)
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

        AfterRead(count);
        return count;
    }
}
