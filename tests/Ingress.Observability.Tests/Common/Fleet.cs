using static Ingress.Observability.Tests.Common.Swarm;
using Ingress.Gateway.Discovery;

namespace Ingress.Observability.Tests.Common;

/// <summary>
/// Forty labelled services of three replicas over one <see cref="ReplicaFarm"/>, each routed on the default entry
/// port by a host rule (<c>api.shop.test</c> for <c>shop_api</c>), as a mid-sized swarm would be.
/// </summary>
internal sealed class Fleet(ReplicaFarm farm)
{
    public const int ReplicasPerService = 3;

    /// <summary>Extra farm addresses beyond the fleet's, for scaling a service up.</summary>
    public const int SpareAddresses = 4;

    private static readonly string[] s_stacks = ["shop", "billing", "auth", "search", "media", "mail", "reports", "chat"];
    private static readonly string[] s_roles = ["web", "api", "worker", "cache", "admin"];

    public static IReadOnlyList<string> Names { get; } = [.. s_stacks.SelectMany(stack => s_roles.Select(role => $"{stack}_{role}"))];

    /// <summary>How many farm addresses a fleet needs, spares included.</summary>
    public static int FarmSize => (Names.Count * ReplicasPerService) + SpareAddresses;

    public static string Host(string service)
    {
        var parts = service.Split('_');
        return $"{parts[1]}.{parts[0]}.test";
    }

    /// <summary>Every service of the fleet with its three replicas, with <paramref name="labels"/> added to some services.</summary>
    public IEnumerable<SwarmService> Services(IReadOnlyDictionary<string, string[]>? labels = null) =>
        Names.Select(name => Routed(name, ReplicasPerService, labels?.GetValueOrDefault(name) ?? []));

    /// <summary>The fleet's service <paramref name="name"/> with <paramref name="replicas"/> tasks (beyond three, on spare addresses).</summary>
    public SwarmService Routed(string name, int replicas, params string[] extraLabels)
    {
        var index = Names.ToList().IndexOf(name);
        var tasks = Enumerable.Range(1, replicas).Select(slot => Replica(name, slot, AddressOf(index, slot)));
        return Service(name, Labels([$"ingress.host={Host(name)}", $"ingress.port={farm.Port}", .. extraLabels]), tasks, ageRank: index);
    }

    private string AddressOf(int serviceIndex, int slot) =>
        slot <= ReplicasPerService
            ? farm.Addresses[(serviceIndex * ReplicasPerService) + slot - 1]
            : farm.Addresses[(Names.Count * ReplicasPerService) + slot - ReplicasPerService - 1];
}
