using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ingress.Gateway.Tests.Common;

/// <summary>
/// A loopback TCP server that speaks raw HTTP/1.1 from a script: for each request head (and its Content-Length body)
/// it records the bytes and writes back whatever the script returns, byte for byte. For response shapes Kestrel never
/// produces: no length, interim responses, hop-by-hop headers, closing without a word.
/// </summary>
internal sealed class ScriptedServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<string, int, ScriptedReply> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentBag<Task> _connections = [];
    private int _accepted;

    public ScriptedServer(Func<string, ScriptedReply> script, string ip = "127.0.0.1")
        : this((request, _) => script(request), ip)
    {
    }

    /// <summary>A server whose script also gets the request's index on its connection (0 for the first).</summary>
    public ScriptedServer(Func<string, int, ScriptedReply> script, string ip = "127.0.0.1")
    {
        _script = script;
        _listener = new TcpListener(IPAddress.Parse(ip), 0);
        _listener.Start();
        Address = $"http://{ip}:{((IPEndPoint)_listener.LocalEndpoint).Port}/";
        _loop = AcceptAsync();
    }

    public string Address { get; }

    /// <summary>The raw requests received (head and body), in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _connections.Add(ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        var pending = new List<byte>();
        var buffer = new byte[65536];
        var index = 0;
        try
        {
            while (true)
            {
                var text = Encoding.Latin1.GetString([.. pending]);
                var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end >= 0)
                {
                    var headLength = end + 4;
                    var length = ContentLength(text[..headLength]);
                    if (pending.Count >= headLength + length)
                    {
                        var request = Encoding.Latin1.GetString([.. pending.Take(headLength + length)]);
                        pending.RemoveRange(0, headLength + length);
                        Requests.Enqueue(request);
                        var reply = _script(request, index++);
                        if (reply.DelayMs > 0)
                        {
                            await Task.Delay(reply.DelayMs, _stop.Token);
                        }

                        if (reply.Bytes is null)
                        {
                            // Closes without a word, as a replica does that timed out an idle connection just as a request came.
                            socket.Close();
                            return;
                        }

                        await socket.SendAsync(Encoding.Latin1.GetBytes(reply.Bytes), SocketFlags.None, _stop.Token);
                        if (reply.Late is not null)
                        {
                            // Bytes nobody asked for, sent after the answer: a replica that lied about its body's length.
                            await Task.Delay(reply.LateDelayMs, _stop.Token);
                            await socket.SendAsync(Encoding.Latin1.GetBytes(reply.Late), SocketFlags.None, _stop.Token);
                        }

                        if (reply.Reset)
                        {
                            // An abortive close: the peer gets a reset (RST), not a FIN.
                            await Task.Delay(50, _stop.Token);
                            socket.LingerState = new LingerOption(true, 0);
                            socket.Close();
                            return;
                        }

                        if (reply.Close)
                        {
                            socket.Shutdown(SocketShutdown.Both);
                            return;
                        }

                        continue;
                    }
                }

                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                pending.AddRange(buffer.AsSpan(0, read).ToArray());
            }
        }
        catch (Exception)
        {
            // The peer went away, or the server is stopping.
        }
    }

    private static int ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _loop;
        await Task.WhenAll(_connections);
    }
}

/// <summary>
/// What a <see cref="ScriptedServer"/> answers: the raw bytes (null: close without answering), and whether it then
/// closes, or resets the connection. <see cref="Late"/> bytes, if any, follow the answer after <see cref="LateDelayMs"/>.
/// </summary>
internal sealed record ScriptedReply(string? Bytes, bool Close = false, int DelayMs = 0, bool Reset = false, string? Late = null, int LateDelayMs = 0);
