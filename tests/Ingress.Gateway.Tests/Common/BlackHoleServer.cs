using System.Net;
using System.Net.Sockets;

namespace Ingress.Gateway.Tests.Common;

/// <summary>
/// A loopback port whose accept queue is full, so new connections hang without an answer: what a replica whose IP
/// vanished from the overlay looks like to a client (its SYNs are dropped), made without leaving loopback.
/// </summary>
internal sealed class BlackHoleServer : IDisposable
{
    private readonly Socket _listener;
    private readonly List<Socket> _fillers = [];

    public BlackHoleServer(string ip = "127.0.0.1")
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Parse(ip), 0));
        _listener.Listen(0);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;

        // Never accepted: once these fill the queue, the kernel drops further SYNs.
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            try
            {
                filler.Connect(_listener.LocalEndPoint!);
            }
            catch (SocketException)
            {
                // In progress, or dropped: either way it occupies or probes the queue.
            }

            _fillers.Add(filler);
        }
    }

    public int Port { get; }

    public string Address => $"http://127.0.0.1:{Port}/";

    public void Dispose()
    {
        foreach (var filler in _fillers)
        {
            filler.Dispose();
        }

        _listener.Dispose();
    }
}
