using System.Globalization;
using Ingress.Gateway.Schema;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Routing;

/// <summary>
/// The services of a weighted cluster and the order in which they take requests: the sequence smooth weighted round robin
/// (as nginx does it) produces over one cycle, so every cycle of <see cref="Schedule"/>'s length gives each service
/// exactly its weight's share, interleaved (90/10: nine requests to the first, one to the second, spread over the ten).
/// </summary>
/// <remarks>
/// Read from the cluster's config: the <see cref="WeightsKey"/> metadata lists the services and their weights, each
/// destination's <see cref="RouteMetadata.ServiceKey"/> metadata says which service it belongs to. Built once per cluster
/// config, so the request path only counts and indexes.
/// </remarks>
internal sealed class WeightedSplit
{
    /// <summary>Cluster metadata: the services sharing the cluster with their weights, oldest first: <c>web=90,web-canary=10</c>.</summary>
    public const string WeightsKey = "ingress.weights";

    /// <summary>Cluster metadata: the load-balancing policy that picks a replica within the chosen service.</summary>
    public const string ReplicaPolicyKey = "ingress.weights.lb";

    private readonly Dictionary<string, int> _serviceIndex;
    private Partition? _last;

    private WeightedSplit(ClusterModel model, string[] services, int[] schedule, string replicaPolicy)
    {
        Model = model;
        Services = services;
        Schedule = schedule;
        ReplicaPolicy = replicaPolicy;
        _serviceIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < services.Length; i++)
        {
            _serviceIndex[services[i]] = i;
        }
    }

    /// <summary>The cluster config this split was read from.</summary>
    public ClusterModel Model { get; }

    /// <summary>The services, oldest first.</summary>
    public string[] Services { get; }

    /// <summary>One cycle of service indexes; empty when every weight is 0.</summary>
    public int[] Schedule { get; }

    /// <summary>The YARP policy that picks a replica within a service.</summary>
    public string ReplicaPolicy { get; }

    /// <summary>The weights written as <see cref="WeightsKey"/> metadata.</summary>
    public static string Describe(IEnumerable<(string Service, int Weight)> weights) =>
        string.Join(",", weights.Select(w => string.Create(CultureInfo.InvariantCulture, $"{w.Service}={w.Weight}")));

    /// <summary>The split of <paramref name="model"/>'s cluster, or null when it has no valid <see cref="WeightsKey"/> metadata.</summary>
    public static WeightedSplit? Of(ClusterModel model)
    {
        var config = model.Config;
        if (config.Metadata?.GetValueOrDefault(WeightsKey) is not { } text)
        {
            return null;
        }

        var services = new List<string>();
        var weights = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var at = part.LastIndexOf('=');
            if (at <= 0 || !int.TryParse(part.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var weight) || weight > RouteWeight.Max)
            {
                return null;
            }

            services.Add(part[..at]);
            weights.Add(weight);
        }

        var policy = config.Metadata.GetValueOrDefault(ReplicaPolicyKey) ?? Yarp.ReverseProxy.LoadBalancing.LoadBalancingPolicies.RoundRobin;
        return new WeightedSplit(model, [.. services], SmoothWeightedRoundRobin([.. weights]), policy);
    }

    /// <summary>
    /// One cycle of smooth weighted round robin: each turn every service gains its weight, the one with the most goes and
    /// loses the total. Weights are first divided by their greatest common divisor, so 90/10 gives a cycle of 10.
    /// </summary>
    internal static int[] SmoothWeightedRoundRobin(int[] weights)
    {
        var divisor = 0;
        foreach (var weight in weights)
        {
            divisor = Gcd(divisor, weight);
        }

        if (divisor == 0)
        {
            return [];
        }

        var reduced = weights.Select(w => w / divisor).ToArray();
        var total = reduced.Sum();
        var current = new int[reduced.Length];
        var schedule = new int[total];
        for (var turn = 0; turn < total; turn++)
        {
            var best = -1;
            for (var i = 0; i < reduced.Length; i++)
            {
                current[i] += reduced[i];
                if (reduced[i] > 0 && (best < 0 || current[i] > current[best]))
                {
                    best = i;
                }
            }

            current[best] -= total;
            schedule[turn] = best;
        }

        return schedule;
    }

    /// <summary>
    /// <paramref name="available"/> split by service, in <see cref="Services"/>' order. The last split is kept: YARP passes
    /// the same list until a replica's health changes, so the request path allocates nothing.
    /// </summary>
    public DestinationState[][] PartitionOf(IReadOnlyList<DestinationState> available)
    {
        var last = Volatile.Read(ref _last);
        if (last is not null && ReferenceEquals(last.Source, available))
        {
            return last.Parts;
        }

        var lists = new List<DestinationState>[Services.Length];
        for (var i = 0; i < lists.Length; i++)
        {
            lists[i] = [];
        }

        foreach (var destination in available)
        {
            if (destination.Model.Config.Metadata?.GetValueOrDefault(RouteMetadata.ServiceKey) is { } service
                && _serviceIndex.TryGetValue(service, out var index))
            {
                lists[index].Add(destination);
            }
        }

        var parts = lists.Select(l => l.ToArray()).ToArray();
        Volatile.Write(ref _last, new Partition(available, parts));
        return parts;
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    private sealed record Partition(IReadOnlyList<DestinationState> Source, DestinationState[][] Parts);
}
