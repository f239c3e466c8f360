using System.Net;
using Ingress.Gateway.Configuration;
using Ingress.Gateway.Relay;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Transport.Native;
using Ingress.Gateway.Transport.Tls;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Listeners;

/// <summary>
/// Kestrel's transport for entry ports: binds each <see cref="EntryEndPoint"/> as a listening socket the relay's event
/// loops accept on, TLS entry ports included (the relay terminates TLS with the certificates of <see cref="ITlsContextSelector"/>).
/// Kestrel only sees the connections the relay hands over (<see cref="EntryListener.AcceptAsync"/>).
/// </summary>
internal sealed unsafe class EntryListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private const int Backlog = 512;

    private readonly RelayEngine _engine;
    private readonly GatewayMetrics _metrics;
    private readonly int _maxConnections;
    private readonly SocketConnectionContextFactory _handoffFactory;
    private readonly ITlsContextSelector? _tls;
    private readonly ILoggerFactory _loggerFactory;

    public EntryListenerFactory(
        RelayEngine engine,
        GatewayMetrics metrics,
        IOptions<GatewayLimitsOptions> limits,
        IOptions<TransportOptions> transport,
        ILoggerFactory loggerFactory,
        ITlsContextSelector? tls = null)
    {
        _tls = tls;
        _engine = engine;
        _metrics = metrics;
        _maxConnections = limits.Value.MaxConnectionsPerEntryPort;
        _loggerFactory = loggerFactory;
        // Handed-off connections run on Kestrel's own socket machinery, configured as the admin port's is.
        _handoffFactory = new SocketConnectionContextFactory(
            new SocketConnectionFactoryOptions { UnsafePreferInlineScheduling = transport.Value.InlineScheduling },
            loggerFactory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
    }

    public bool CanBind(EndPoint endpoint) => endpoint is EntryEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var entry = (EntryEndPoint)endpoint;
        var fds = new List<int>();
        try
        {
            foreach (var (address, optional) in entry.Addresses())
            {
                var fd = Bind(address, entry, optional);
                if (fd >= 0)
                {
                    fds.Add(fd);
                }
            }
        }
        catch
        {
            foreach (var fd in fds)
            {
                Libc.Close(fd);
            }

            throw;
        }

        var listener = new EntryListener(entry, [.. fds], _engine, _metrics, _maxConnections, _handoffFactory, _tls, _loggerFactory.CreateLogger<EntryListener>());
        listener.Start();
        return ValueTask.FromResult<IConnectionListener>(listener);
    }

    /// <summary>A non-blocking listening socket on <paramref name="address"/>; -1 when an optional one cannot be had.</summary>
    private static int Bind(IPEndPoint address, EntryEndPoint entry, bool optional)
    {
        var v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var fd = Libc.Socket(v6 ? Libc.AF_INET6 : Libc.AF_INET, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0 && v6 && address.Address.Equals(IPAddress.IPv6Any))
        {
            // No IPv6 on this host: all interfaces means all IPv4 ones, as with Kestrel's ListenAnyIP.
            return Bind(new IPEndPoint(IPAddress.Any, address.Port), entry, optional);
        }

        if (fd < 0)
        {
            return optional ? -1 : throw new IOException($"Failed to bind to address {entry}: socket() failed (errno {Libc.LastError}).");
        }

        var one = 1;
        var zero = 0;
        Libc.SetSockOpt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, &one, sizeof(int));
        if (v6 && address.Address.Equals(IPAddress.IPv6Any))
        {
            Libc.SetSockOpt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, &zero, sizeof(int));
        }

        var sockaddr = stackalloc byte[SocketAddresses.MaxLength];
        var length = SocketAddresses.Write(address, new Span<byte>(sockaddr, SocketAddresses.MaxLength));
        if (Libc.Bind(fd, sockaddr, length) != 0 || Libc.Listen(fd, Backlog) != 0)
        {
            var errno = Libc.LastError;
            Libc.Close(fd);
            if (optional)
            {
                return -1;
            }

            if (v6 && address.Address.Equals(IPAddress.IPv6Any) && errno is Errno.EADDRNOTAVAIL or Errno.EAFNOSUPPORT)
            {
                // IPv6 switched off (as in many containers): all interfaces means all IPv4 ones.
                return Bind(new IPEndPoint(IPAddress.Any, address.Port), entry, optional);
            }

            // Kestrel turns this into "Failed to bind to address ...: address already in use." like its own transport.
            throw errno == Errno.EADDRINUSE
                ? new AddressInUseException($"Failed to bind to {entry}: address already in use.")
                : new IOException($"Failed to bind to address {entry}: bind/listen failed (errno {errno}).");
        }

        return fd;
    }
}
