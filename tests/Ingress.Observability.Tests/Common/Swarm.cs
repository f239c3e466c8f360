using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Ingress.Gateway.Discovery;

namespace Ingress.Observability.Tests.Common;

/// <summary>
/// Builders for discovery records. IDs are derived from the service name and slot so they are stable between
/// snapshots (a rescale keeps the existing tasks) and shaped like Swarm's: 25-character task and node IDs, 64-hex
/// container IDs whose first 12 characters are the container's host name.
/// </summary>
internal static class Swarm
{
    private static readonly DateTimeOffset s_epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static SwarmService Service(string name, IEnumerable<KeyValuePair<string, string>> labels, IEnumerable<SwarmTask> tasks, int ageRank = 0) =>
        new(Id(name, "service", 25), name, labels.ToImmutableSortedDictionary(StringComparer.Ordinal), [.. tasks], s_epoch.AddMinutes(ageRank), "docker");

    /// <summary>The task in <paramref name="slot"/> (1-based) of <paramref name="service"/>, reached on <paramref name="address"/>.</summary>
    public static SwarmTask Replica(string service, int slot, string address) =>
        new(Id($"{service}.{slot}", "task", 25), address, slot, NodeId(slot), Hex($"{service}.{slot}"), "running");

    public static Dictionary<string, string> Labels(params string[] pairs) =>
        pairs.Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);

    public static DiscoverySnapshot Snapshot(IEnumerable<SwarmService> services) =>
        new("docker", [.. services.OrderBy(s => s.Name, StringComparer.Ordinal)], DateTimeOffset.UtcNow);

    /// <summary>The host name the gateway reports for a task: the first 12 characters of its container ID.</summary>
    public static string HostName(SwarmTask task) => task.ContainerId![..12];

    private static string NodeId(int slot) => Id($"node-{1 + ((slot - 1) % 3)}", "node", 25);

    private static string Id(string seed, string kind, int length)
    {
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(kind + ":" + seed));
        var id = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            id.Append(alphabet[hash[i] % alphabet.Length]);
        }

        return id.ToString();
    }

    private static string Hex(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("container:" + seed)));
}
