using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Ingress.Gateway.Tests.Common;

/// <summary>
/// A healthy replica that reads a large upload slowly: its receive buffer is small, and after <c>pauseAfter</c> body
/// bytes it stops reading for <c>pause</c>, so its receive window stays shut while the gateway has more to send. Then it
/// reads the rest and answers <c>length:sha256</c> of the body, as <see cref="StreamingBackend"/> does.
/// </summary>
internal sealed class SlowReadingServer : IAsyncDisposable
{
    /// <summary>The receive buffer asked for (the kernel doubles it): small, so the window shuts soon after reading stops.</summary>
    public const int ReceiveBufferSize = 64 * 1024;

    private readonly Socket _listener;
    private readonly int _pauseAfter;
    private readonly TimeSpan _pause;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public SlowReadingServer(int pauseAfter, TimeSpan pause, string ip = "127.0.0.1")
    {
        _pauseAfter = pauseAfter;
        _pause = pause;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        // Set before listen: accepted sockets inherit it, and a set size turns the kernel's receive autotuning off.
        _listener.ReceiveBufferSize = ReceiveBufferSize;
        _listener.Bind(new IPEndPoint(IPAddress.Parse(ip), 0));
        _listener.Listen();
        Address = $"http://{ip}:{((IPEndPoint)_listener.LocalEndPoint!).Port}/";
        _loop = AcceptAsync();
    }

    public string Address { get; }

    /// <summary>The bytes waiting in the receive buffer half a second into the pause.</summary>
    public int QueuedEarlyInPause { get; private set; } = -1;

    /// <summary>The bytes waiting in the receive buffer when the pause ended.</summary>
    public int QueuedAfterPause { get; private set; } = -1;

    /// <summary>
    /// Whether the receive window was shut for the pause but its first half second: bytes were waiting, and not one more
    /// arrived, while the sender had megabytes left to send.
    /// </summary>
    public bool WindowShutDuringPause => QueuedEarlyInPause > 0 && QueuedAfterPause == QueuedEarlyInPause;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        var buffer = new byte[16 * 1024];
        var head = new List<byte>();
        try
        {
            while (true)
            {
                // The head, byte by byte from what arrives: no body byte is read before the head is parsed.
                head.Clear();
                while (!EndsWithBlankLine(head))
                {
                    var one = await socket.ReceiveAsync(buffer.AsMemory(0, 1), SocketFlags.None, _stop.Token);
                    if (one == 0)
                    {
                        return;
                    }

                    head.Add(buffer[0]);
                }

                var length = ContentLength(Encoding.Latin1.GetString([.. head]));
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                long received = 0;
                var paused = false;
                while (received < length)
                {
                    if (!paused && received >= _pauseAfter)
                    {
                        paused = true;
                        var early = TimeSpan.FromMilliseconds(500);
                        await Task.Delay(early, _stop.Token);
                        QueuedEarlyInPause = socket.Available;
                        await Task.Delay(_pause - early, _stop.Token);
                        QueuedAfterPause = socket.Available;
                    }

                    var read = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - received)), SocketFlags.None, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    hash.AppendData(buffer, 0, read);
                    received += read;
                }

                var body = $"{received}:{Convert.ToHexString(hash.GetHashAndReset())}";
                await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}"), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception)
        {
            // The peer went away, or the server is stopping.
        }
    }

    private static bool EndsWithBlankLine(List<byte> head) =>
        head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n';

    private static long ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return long.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _loop;
    }
}
