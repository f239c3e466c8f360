using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Ingress.Gateway.Discovery;

/// <summary>Everything one discovery source currently knows: the services it found, sorted by name.</summary>
/// <param name="Source">The source's name (<c>docker</c> or <c>dns</c>).</param>
/// <param name="Services">The labelled services and their tasks.</param>
/// <param name="TakenAt">When the source completed the listing this snapshot comes from.</param>
public sealed record DiscoverySnapshot(string Source, ImmutableArray<SwarmService> Services, DateTimeOffset TakenAt)
{
    /// <summary>True when both snapshots describe the same services and tasks, whenever they were taken.</summary>
    public bool HasSameContent(DiscoverySnapshot? other) =>
        other is not null && Source == other.Source && Services.SequenceEqual(other.Services);

    /// <summary>
    /// This snapshot, with every service that equals the one with the same ID in <paramref name="previous"/> replaced by
    /// that previous instance: what is built from a service is then kept by instance, and a change to one service of a
    /// thousand rebuilds one service's routes and cluster.
    /// </summary>
    public DiscoverySnapshot ReuseUnchanged(DiscoverySnapshot? previous)
    {
        if (previous is null || previous.Services.IsEmpty)
        {
            return this;
        }

        var known = new Dictionary<string, SwarmService>(previous.Services.Length, StringComparer.Ordinal);
        foreach (var service in previous.Services)
        {
            known.TryAdd(service.Id, service);
        }

        SwarmService[]? reused = null;
        for (var i = 0; i < Services.Length; i++)
        {
            if (known.TryGetValue(Services[i].Id, out var old) && !ReferenceEquals(old, Services[i]) && old.Equals(Services[i]))
            {
                (reused ??= [.. Services])[i] = old;
            }
        }

        return reused is null ? this : this with { Services = ImmutableCollectionsMarshal.AsImmutableArray(reused) };
    }
}
