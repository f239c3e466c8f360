using System.Net;

namespace Ingress.Gateway.Discovery.Control;

/// <summary>
/// Which of this gateway's networks is the control network: the one whose subnet holds the manager gateways' addresses.
/// A manager gateway takes control requests only from there, so a container on the backends' network cannot even ask.
/// </summary>
/// <remarks>
/// The control port listens on every address (Kestrel binds before the network is known), so each request is checked:
/// it must arrive on this gateway's own address in the control network, from an address in that network. Until the
/// manager gateways' name resolves, no request is taken.
/// </remarks>
internal sealed class ControlNetwork
{
    private volatile LocalSubnet[] _subnets = [];

    /// <summary>The control network's subnets, e.g. <c>10.0.3.0/24</c>; empty while unknown.</summary>
    public IReadOnlyList<string> Describe() => [.. _subnets.Select(s => s.ToString())];

    /// <summary>True once the control network is known.</summary>
    public bool IsKnown => _subnets.Length > 0;

    /// <summary>Finds the local interfaces whose subnet holds one of <paramref name="managers"/>; keeps the last answer when none does.</summary>
    public void Update(IEnumerable<IPAddress> managers) => Update(managers, LocalNetworks.Current());

    internal void Update(IEnumerable<IPAddress> managers, IReadOnlyList<LocalSubnet> local)
    {
        var found = new List<LocalSubnet>();
        foreach (var manager in managers)
        {
            foreach (var subnet in local)
            {
                if (subnet.Contains(LocalNetworks.Normalize(manager)) && !found.Contains(subnet))
                {
                    found.Add(subnet);
                }
            }
        }

        if (found.Count > 0)
        {
            _subnets = [.. found];
        }
    }

    /// <summary>True when a request that arrived on <paramref name="local"/> from <paramref name="remote"/> came over the control network.</summary>
    public bool Allows(IPAddress? local, IPAddress? remote)
    {
        if (local is null || remote is null)
        {
            return false;
        }

        local = LocalNetworks.Normalize(local);
        remote = LocalNetworks.Normalize(remote);
        foreach (var subnet in _subnets)
        {
            if (subnet.Address.Equals(local) && subnet.Contains(remote))
            {
                return true;
            }
        }

        return false;
    }
}
