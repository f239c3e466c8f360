using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Ingress.Gateway.Discovery;

/// <summary>The networks this gateway is on: each of its addresses with the prefix length of its network.</summary>
internal static class LocalNetworks
{
    /// <summary>Every unicast address of every interface that is up, loopback included.</summary>
    public static List<LocalSubnet> Current()
    {
        var subnets = new List<LocalSubnet>();
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
                    subnets.Add(new LocalSubnet(unicast.Address, unicast.PrefixLength));
                }
            }
        }

        return subnets;
    }

    /// <summary>The IPv4 form of an IPv4-mapped IPv6 address (as a dual-mode socket reports IPv4 peers), else the address.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

/// <summary>One of this gateway's addresses and the prefix length of its network.</summary>
internal readonly record struct LocalSubnet(IPAddress Address, int PrefixLength)
{
    /// <summary>True when <paramref name="other"/> is in this network.</summary>
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

    /// <inheritdoc/>
    public override string ToString() => $"{Address}/{PrefixLength}";
}
