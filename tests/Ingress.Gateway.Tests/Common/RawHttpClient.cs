using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ingress.Gateway.Tests.Common;

/// <summary>One raw TCP connection to a gateway port, for what HttpClient hides: pipelining, exact bytes, closes.</summary>
internal sealed class RawHttpClient : IDisposable
{
    private readonly TcpClient _client = new();
    private readonly List<byte> _received = [];
    private Stream? _stream;

    public static async Task<RawHttpClient> ConnectAsync(int port)
    {
        var client = new RawHttpClient();
        await client._client.ConnectAsync(IPAddress.Loopback, port);
        client._stream = client._client.GetStream();
        return client;
    }

    /// <summary>A TLS connection, its handshake done with <paramref name="options"/> (see <c>TlsClient.Options</c>).</summary>
    public static async Task<RawHttpClient> ConnectTlsAsync(int port, System.Net.Security.SslClientAuthenticationOptions options)
    {
        var client = new RawHttpClient();
        await client._client.ConnectAsync(IPAddress.Loopback, port);
        var tls = new System.Net.Security.SslStream(client._client.GetStream());
        client._stream = tls;
        await tls.AuthenticateAsClientAsync(options);
        return client;
    }

    public Task SendAsync(string raw) => _stream!.WriteAsync(Encoding.Latin1.GetBytes(raw)).AsTask();

    /// <summary>Closes the sending side only (a FIN), as <c>nc -N</c> does after its request.</summary>
    public void ShutdownSend() => _client.Client.Shutdown(SocketShutdown.Send);

    /// <summary>Reads until <paramref name="done"/> holds for everything received, the connection closes, or 10 s pass.</summary>
    public Task<string> ReadUntilAsync(Func<string, bool> done) => ReadWhileAsync(() => !done(Text));

    /// <summary>
    /// Reads until at least <paramref name="length"/> bytes have been received, the connection closes, or 10 s pass: for
    /// a large response, which <see cref="ReadUntilAsync"/> would decode again after every read.
    /// </summary>
    public Task<string> ReadAtLeastAsync(int length) => ReadWhileAsync(() => _received.Count < length);

    private async Task<string> ReadWhileAsync(Func<bool> more)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[65536];
        while (more())
        {
            int read;
            try
            {
                read = await _stream!.ReadAsync(buffer, timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                Reset |= ex is IOException;
                break;
            }

            if (read == 0)
            {
                Closed = true;
                break;
            }

            _received.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        return Text;
    }

    /// <summary>Reads until the gateway closes the connection (or 10 s pass).</summary>
    public Task<string> ReadToEndAsync() => ReadUntilAsync(_ => false);

    /// <summary>Everything received so far.</summary>
    public string Text => Encoding.Latin1.GetString([.. _received]);

    /// <summary>The gateway closed the connection.</summary>
    public bool Closed { get; private set; }

    /// <summary>The gateway reset the connection (an abortive close).</summary>
    public bool Reset { get; private set; }

    public void Dispose()
    {
        _stream?.Dispose();
        _client.Dispose();
    }
}
