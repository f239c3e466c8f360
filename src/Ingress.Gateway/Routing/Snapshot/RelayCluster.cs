using System.Buffers.Binary;
using System.Net;
using System.Text;
using Ingress.Gateway.Resilience;
using Ingress.Gateway.Transport.Native;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Routing.Snapshot;

/// <summary>
/// A YARP cluster the relay forwards to itself: its live <see cref="ClusterState"/> (whose available destinations
/// YARP's health checks keep current), its load-balancing policy, and each destination's socket address.
/// </summary>
internal sealed class RelayCluster
{
    public RelayCluster(
        ClusterState state,
        string service,
        ILoadBalancingPolicy policy,
        TimeSpan activityTimeout,
        IPassiveHealthCheckPolicy? passiveHealthPolicy,
        IReadOnlyList<RelayDestination> destinations,
        int retryAfterSeconds)
    {
        State = state;
        Service = service;
        Policy = policy;
        ActivityTimeoutMs = (long)Math.Min(activityTimeout.TotalMilliseconds, int.MaxValue);
        PassiveHealthPolicy = passiveHealthPolicy;
        Destinations = destinations.ToDictionary(d => d.State);
        MaxHostLineLength = destinations.Count == 0 ? 0 : destinations.Max(d => d.HostLine.Length);
        NoReplicaResponse = Pinned(NoReplicaAnswer.Http11(service, retryAfterSeconds, close: false));
        NoReplicaResponseClose = Pinned(NoReplicaAnswer.Http11(service, retryAfterSeconds, close: true));
    }

    public ClusterState State { get; }

    /// <summary>The service label value for metrics and the access log.</summary>
    public string Service { get; }

    public ILoadBalancingPolicy Policy { get; }

    /// <summary>How long a replica may stay silent on a request before it fails with 504 (YARP's activity timeout).</summary>
    public long ActivityTimeoutMs { get; }

    /// <summary>
    /// The cluster's passive health policy, told of every failed attempt as YARP's forwarder tells it (null when passive
    /// health is off). Only a policy that acts on failures alone qualifies (<see cref="RelayClusterFactory"/>): the relay
    /// does not report the requests that succeed.
    /// </summary>
    public IPassiveHealthCheckPolicy? PassiveHealthPolicy { get; }

    /// <summary>The relay's view of each of the cluster's destinations, by YARP's <see cref="DestinationState"/>.</summary>
    public Dictionary<DestinationState, RelayDestination> Destinations { get; }

    /// <summary>The longest <see cref="RelayDestination.HostLine"/>: what a request head may grow by at most, for <c>Host</c>.</summary>
    public int MaxHostLineLength { get; }

    /// <summary>The next replica by the cluster's policy, from <paramref name="available"/>; null when the policy picks none.</summary>
    public DestinationState? Pick(IReadOnlyList<DestinationState> available) =>
        Policy.PickDestination(NoRequestContext.Instance, State, available);

    /// <summary>The complete 503 response sent when no replica is in rotation (<see cref="NoReplicaAnswer"/>, as on the YARP path).</summary>
    public byte[] NoReplicaResponse { get; }

    /// <summary><see cref="NoReplicaResponse"/> with <c>Connection: close</c>.</summary>
    public byte[] NoReplicaResponseClose { get; }

    internal static byte[] Pinned(byte[] bytes)
    {
        var pinned = GC.AllocateUninitializedArray<byte>(bytes.Length, pinned: true);
        bytes.CopyTo(pinned, 0);
        return pinned;
    }
}

/// <summary>One destination as the relay connects to it.</summary>
internal sealed class RelayDestination
{
    public RelayDestination(DestinationState state, IPEndPoint endPoint, string address)
    {
        State = state;
        EndPoint = endPoint;
        Address = address;
        SocketAddress = GC.AllocateArray<byte>(SocketAddresses.MaxLength, pinned: true);
        SocketAddressLength = SocketAddresses.Write(endPoint, SocketAddress);
        Key = UpstreamKey.From(endPoint);
        HostLine = RelayCluster.Pinned(Encoding.ASCII.GetBytes($"Host: {Authority(endPoint)}\r\n"));
    }

    /// <summary>The destination's authority as HttpClient writes it under YARP: the port left out when it is 80.</summary>
    internal static string Authority(IPEndPoint endPoint)
    {
        var host = endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{endPoint.Address}]"
            : endPoint.Address.ToString();
        return endPoint.Port == 80 ? host : $"{host}:{endPoint.Port}";
    }

    public DestinationState State { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>The configured address, for the access log.</summary>
    public string Address { get; }

    /// <summary>The native <c>sockaddr</c>, pinned, for <c>connect</c>.</summary>
    public byte[] SocketAddress { get; }

    public int SocketAddressLength { get; }

    /// <summary>The connection-pool key: connections to the same address and port are shared across config changes.</summary>
    public UpstreamKey Key { get; }

    /// <summary>The <c>Host</c> line the replica gets.</summary>
    public byte[] HostLine { get; }
}

/// <summary>An upstream address and port, as a pool key.</summary>
internal readonly record struct UpstreamKey(UInt128 Address, int Port, bool IsIPv6)
{
    public static UpstreamKey From(IPEndPoint endPoint)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        endPoint.Address.TryWriteBytes(bytes, out _);
        return new UpstreamKey(BinaryPrimitives.ReadUInt128BigEndian(bytes), endPoint.Port, endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6);
    }
}
