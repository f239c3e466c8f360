namespace Ingress.Gateway.Discovery;

/// <summary>Declares an enabled discovery source, so readiness waits for its first listing.</summary>
/// <param name="Name">The source name, e.g. <c>docker</c>.</param>
public sealed record DiscoverySourceRegistration(string Name);
