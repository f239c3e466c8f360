using System.Net;
using System.Net.Sockets;

namespace Ingress.Gateway.Tests.Common;

/// <summary>A loopback TCP server that reads a request and resets the connection before answering: a replica dying mid-request.</summary>
internal sealed class ResettingServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _accepted;

    public ResettingServer(string ip, int port = 0)
    {
        _listener = new TcpListener(IPAddress.Parse(ip), port);
        _listener.Start();
        Ip = ip;
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = RunAsync();
    }

    public string Ip { get; }

    public int Port { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    private async Task RunAsync()
    {
        var buffer = new byte[8192];
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            try
            {
                await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            }
            catch (Exception)
            {
                // Reset regardless.
            }

            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _loop;
    }
}
