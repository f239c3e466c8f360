namespace Ingress.Gateway.Discovery.Dns;

/// <summary>The outcome of one pass over every configured name, which decides how the pass is published.</summary>
/// <param name="Snapshot">The names that answered, and the last known tasks of those that did not.</param>
/// <param name="Failure">Which names got no answer and why; null when every name answered.</param>
/// <param name="Answered">How many names got an answer (addresses or NXDOMAIN); zero with a failure means the resolver is down.</param>
internal sealed record DnsListing(DiscoverySnapshot Snapshot, string? Failure, int Answered);
