namespace Ingress.Gateway.Forwarding.Relay;

/// <summary>
/// The current <see cref="RelayRouteTable"/>: replaced whole by <see cref="RelayRouteUpdater"/> after each YARP apply,
/// read without a lock by the relay's event loops and by <see cref="ProxyConfig.ProxyEndpointSelector"/>.
/// </summary>
internal sealed class RelayRoutes
{
    private RelayRouteTable _current = RelayRouteTable.Empty;

    public RelayRouteTable Current => Volatile.Read(ref _current);

    public void Update(RelayRouteTable table) => Volatile.Write(ref _current, table);
}
