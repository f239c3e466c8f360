using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Ingress.Gateway.Transport.Tls;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Ingress.Gateway.Listeners;

/// <summary>
/// A connection the relay gave to Kestrel: Kestrel's own socket connection, whose input starts with the bytes the
/// relay had already read (the request it did not take), so Kestrel sees the byte stream exactly as the client sent it.
/// </summary>
/// <remarks>
/// The input is a pipe that gets the relay's bytes first and then everything the socket receives: one extra copy, on
/// the path the relay leaves to Kestrel (upgrades, chunked uploads, malformed requests), never on the relayed path.
/// </remarks>
internal sealed class HandoffConnection : ConnectionContext
{
    private readonly ConnectionContext _inner;
    private readonly Pipe _input;
    private readonly Task _pump;
    private readonly Action _onDisposed;
    private int _disposed;

    public HandoffConnection(ConnectionContext inner, byte[] unread, Action onDisposed, TlsConnectionInfo? tls = null)
    {
        _inner = inner;
        if (tls is not null)
        {
            // The socket is the plaintext end of the relay's TLS tunnel: Kestrel learns the handshake's outcome (and so
            // the https scheme and the ALPN protocol) and the client's addresses from the relay.
            var feature = new RelayTlsFeature(tls);
            inner.Features.Set<ITlsConnectionFeature>(feature);
            inner.Features.Set<ITlsApplicationProtocolFeature>(feature);
            inner.Features.Set<ITlsHandshakeFeature>(feature);
            inner.RemoteEndPoint = tls.RemoteEndPoint;
            inner.LocalEndPoint = tls.LocalEndPoint;
        }

        _onDisposed = onDisposed;
        _input = new Pipe(new PipeOptions(
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 1024 * 1024,
            resumeWriterThreshold: 512 * 1024,
            useSynchronizationContext: false));
        if (unread.Length > 0)
        {
            _input.Writer.Write(unread);
        }

        Transport = new DuplexPipe(_input.Reader, inner.Transport.Output);
        _pump = PumpAsync();
    }

    public override string ConnectionId
    {
        get => _inner.ConnectionId;
        set => _inner.ConnectionId = value;
    }

    public override IFeatureCollection Features => _inner.Features;

    public override IDictionary<object, object?> Items
    {
        get => _inner.Items;
        set => _inner.Items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed
    {
        get => _inner.ConnectionClosed;
        set => _inner.ConnectionClosed = value;
    }

    public override EndPoint? LocalEndPoint
    {
        get => _inner.LocalEndPoint;
        set => _inner.LocalEndPoint = value;
    }

    public override EndPoint? RemoteEndPoint
    {
        get => _inner.RemoteEndPoint;
        set => _inner.RemoteEndPoint = value;
    }

    public override void Abort(ConnectionAbortedException abortReason) => _inner.Abort(abortReason);

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            // Kestrel is done reading: completing the reader also ends a pump waiting for room in a full pipe.
            await _input.Reader.CompleteAsync().ConfigureAwait(false);
            await _inner.DisposeAsync().ConfigureAwait(false);
            await _pump.ConfigureAwait(false);
        }
        finally
        {
            _onDisposed();
        }
    }

    /// <summary>Copies the socket's input behind the relay's bytes, until either side is done.</summary>
    private async Task PumpAsync()
    {
        // Flush the relay's bytes first: Kestrel may have all it needs already.
        await _input.Writer.FlushAsync().ConfigureAwait(false);
        var source = _inner.Transport.Input;
        var target = _input.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await source.ReadAsync().ConfigureAwait(false);
                foreach (var segment in result.Buffer)
                {
                    target.Write(segment.Span);
                }

                source.AdvanceTo(result.Buffer.End);
                var flush = await target.FlushAsync().ConfigureAwait(false);
                if (result.IsCompleted || result.IsCanceled || flush.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // A reset or abort: Kestrel sees it as the end of its input, with the cause.
            error = ex;
        }
        finally
        {
            await target.CompleteAsync(error).ConfigureAwait(false);
            await source.CompleteAsync().ConfigureAwait(false);
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
