namespace Ingress.Gateway.Routing.Snapshot;

/// <summary>
/// The current <see cref="RelayRouteTable"/>: replaced whole by <see cref="RelayRouteUpdater"/> after each YARP apply,
/// read without a lock by the relay's event loops and by <see cref="ProxyEndpointSelector"/>.
/// </summary>
internal sealed class RelayRoutes
{
    private RelayRouteTable _current = RelayRouteTable.Empty;

    public RelayRouteTable Current => Volatile.Read(ref _current);

    public void Update(RelayRouteTable table) => Volatile.Write(ref _current, table);
}
