using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

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
    private volatile Subnet[] _subnets = [];

    /// <summary>The control network's subnets, e.g. <c>10.0.3.0/24</c>; empty while unknown.</summary>
    public IReadOnlyList<string> Describe() => [.. _subnets.Select(s => s.ToString())];

    /// <summary>True once the control network is known.</summary>
    public bool IsKnown => _subnets.Length > 0;

    /// <summary>Finds the local interfaces whose subnet holds one of <paramref name="managers"/>; keeps the last answer when none does.</summary>
    public void Update(IEnumerable<IPAddress> managers) => Update(managers, LocalSubnets());

    internal void Update(IEnumerable<IPAddress> managers, IReadOnlyList<Subnet> local)
    {
        var found = new List<Subnet>();
        foreach (var manager in managers)
        {
            foreach (var subnet in local)
            {
                if (subnet.Contains(Normalize(manager)) && !found.Contains(subnet))
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

        local = Normalize(local);
        remote = Normalize(remote);
        foreach (var subnet in _subnets)
        {
            if (subnet.Address.Equals(local) && subnet.Contains(remote))
            {
                return true;
            }
        }

        return false;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static List<Subnet> LocalSubnets()
    {
        var subnets = new List<Subnet>();
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown))
            {
                continue;
            }

            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                if (unicast.Address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                {
                    subnets.Add(new Subnet(unicast.Address, unicast.PrefixLength));
                }
            }
        }

        return subnets;
    }

    /// <summary>A local address and the prefix length of its network.</summary>
    internal readonly record struct Subnet(IPAddress Address, int PrefixLength)
    {
        public bool Contains(IPAddress other)
        {
            if (other.AddressFamily != Address.AddressFamily)
            {
                return false;
            }

            Span<byte> a = stackalloc byte[16];
            Span<byte> b = stackalloc byte[16];
            Address.TryWriteBytes(a, out var length);
            other.TryWriteBytes(b, out _);
            var bits = Math.Min(PrefixLength, length * 8);
            var whole = bits / 8;
            if (!a[..whole].SequenceEqual(b[..whole]))
            {
                return false;
            }

            var rest = bits % 8;
            if (rest == 0)
            {
                return true;
            }

            var mask = (byte)(0xFF << (8 - rest));
            return (a[whole] & mask) == (b[whole] & mask);
        }

        public override string ToString() => $"{Address}/{PrefixLength}";
    }
}
