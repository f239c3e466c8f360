using System.Collections.Immutable;
using Ingress.Gateway.Discovery;

namespace Ingress.Gateway.Tests.Common;

/// <summary>Builders for discovery records, so tests read like the swarm they describe.</summary>
internal static class Swarm
{
    private static readonly DateTimeOffset s_epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static SwarmService Service(string name, IEnumerable<KeyValuePair<string, string>> labels, IEnumerable<SwarmTask>? tasks = null, int ageRank = 0, string source = "docker") =>
        new("id-" + name,
            name,
            labels.ToImmutableSortedDictionary(StringComparer.Ordinal),
            [.. tasks ?? []],
            s_epoch.AddMinutes(ageRank),
            source);

    public static SwarmTask Task(string id, string address = "10.0.0.1", int slot = 1) =>
        new(id, address, slot, "node-1", "container-" + id, "running");

    public static Dictionary<string, string> Labels(params string[] pairs) =>
        pairs.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);

    public static DiscoverySnapshot Snapshot(string source, params SwarmService[] services) =>
        new(source, [.. services.OrderBy(s => s.Name, StringComparer.Ordinal)], DateTimeOffset.UtcNow);
}
