using System.Collections.Immutable;

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
}
