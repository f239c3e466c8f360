using System.Collections.Immutable;

namespace Ingress.Gateway.Discovery;

/// <summary>An immutable view of one Swarm service and its routable tasks, as a discovery source saw it.</summary>
/// <param name="Id">The Swarm service ID, or a stable synthetic ID for sources that have none (DNS).</param>
/// <param name="Name">The service name, e.g. <c>ingress_hostname</c>.</param>
/// <param name="Labels">The service's <c>deploy.labels</c> (or the labels configured for a DNS service).</param>
/// <param name="Tasks">The tasks that may receive traffic, ordered by slot then ID.</param>
/// <param name="CreatedAt">When the service was created; the older of two clashing services keeps its route.</param>
/// <param name="Source">The discovery source that produced it (<c>docker</c> or <c>dns</c>).</param>
public sealed record SwarmService(
    string Id,
    string Name,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableArray<SwarmTask> Tasks,
    DateTimeOffset CreatedAt,
    string Source)
{
    /// <inheritdoc/>
    public bool Equals(SwarmService? other) =>
        ReferenceEquals(this, other)
        || (other is not null
            && Id == other.Id
            && Name == other.Name
            && CreatedAt == other.CreatedAt
            && Source == other.Source
            && Labels.SequenceEqual(other.Labels)
            && Tasks.SequenceEqual(other.Tasks));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Id, Name, Tasks.Length);
}
