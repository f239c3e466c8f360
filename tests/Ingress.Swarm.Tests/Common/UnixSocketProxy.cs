using System.Net.Sockets;

namespace Ingress.Swarm.Tests.Common;

/// <summary>A unix-socket pass-through to the Docker API that a test can cut and restore, to simulate an API outage.</summary>
internal sealed class UnixSocketProxy : IAsyncDisposable
{
    private readonly string _path;
    private readonly string _target;
    private readonly List<Socket> _open = [];
    private CancellationTokenSource _cts = new();
    private Socket? _listener;
    private Task _accepting = Task.CompletedTask;

    private UnixSocketProxy(string path, string target)
    {
        _path = path;
        _target = target;
    }

    public static UnixSocketProxy Start(string path, string target)
    {
        var proxy = new UnixSocketProxy(path, target);
        proxy.Restore();
        return proxy;
    }

    /// <summary>Starts listening (again).</summary>
    public void Restore()
    {
        File.Delete(_path);
        _cts = new CancellationTokenSource();
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(_path));
        _listener.Listen(64);
        _accepting = AcceptAsync(_listener, _cts.Token);
    }

    /// <summary>Stops listening and resets every open connection: the API is gone.</summary>
    public async Task CutAsync()
    {
        await _cts.CancelAsync();
        _listener?.Dispose();
        lock (_open)
        {
            foreach (var socket in _open)
            {
                socket.Dispose();
            }

            _open.Clear();
        }

        try
        {
            await _accepting;
        }
        catch (Exception)
        {
            // The accept loop ends with the listener.
        }

        // A path with nothing listening gives "connection refused", like a stopped dockerd.
    }

    private async Task AcceptAsync(Socket listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(ct);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }

            var upstream = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await upstream.ConnectAsync(new UnixDomainSocketEndPoint(_target), ct);
            lock (_open)
            {
                _open.Add(client);
                _open.Add(upstream);
            }

            _ = PumpAsync(client, upstream, ct);
            _ = PumpAsync(upstream, client, ct);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken ct)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (read == 0)
                {
                    break;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, ct);
            }
        }
        catch (Exception)
        {
            // Either side closing (or a cut) ends the pump.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CutAsync();
        File.Delete(_path);
    }
}
