using System.Collections.Immutable;

namespace Ingress.Gateway.Reconciliation;

/// <summary>The routing a service asked for through its labels, parsed and validated.</summary>
/// <param name="Enabled">False when <c>ingress.enable=false</c>.</param>
/// <param name="Publish">Port mappings from <c>ingress.publish</c>.</param>
/// <param name="Rule">The host/path rule on the default entry port, if any.</param>
/// <param name="LoadBalancingPolicy">The YARP load-balancing policy name.</param>
public sealed record ServiceRouting(
    bool Enabled,
    ImmutableArray<PortMapping> Publish,
    HttpRule? Rule,
    string LoadBalancingPolicy);

/// <summary>Requests reaching entry port <paramref name="Published"/> go to port <paramref name="Target"/> of every task.</summary>
public readonly record struct PortMapping(int Published, int Target)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Published}:{Target}";
}

/// <summary>A host and path-prefix rule served on the default entry port, forwarded to <paramref name="Target"/>.</summary>
/// <param name="Hosts">Host names to match; empty matches any host.</param>
/// <param name="PathPrefix">The path prefix, starting with <c>/</c>; <c>/</c> matches everything.</param>
/// <param name="Target">The port on every task.</param>
public sealed record HttpRule(ImmutableArray<string> Hosts, string PathPrefix, int Target)
{
    /// <inheritdoc/>
    public bool Equals(HttpRule? other) =>
        other is not null && PathPrefix == other.PathPrefix && Target == other.Target && Hosts.SequenceEqual(other.Hosts);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(PathPrefix, Target, Hosts.Length);
}

/// <summary>Why a label made its service unroutable.</summary>
/// <param name="Label">The label key.</param>
/// <param name="Value">The label value as given.</param>
/// <param name="Reason">What is wrong with it, in words a user can act on.</param>
public sealed record LabelError(string Label, string? Value, string Reason)
{
    /// <inheritdoc/>
    public override string ToString() => Value is null ? $"{Label}: {Reason}" : $"{Label}={Value}: {Reason}";
}
