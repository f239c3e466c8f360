using Ingress.Gateway.Discovery;

namespace Ingress.Gateway.Admin;

/// <summary>The JSON body of <c>/readyz</c>: "ready" or "not ready", and how each discovery source is faring.</summary>
internal sealed record ReadinessResponse(string Status, IReadOnlyList<DiscoverySourceStatus> Sources);
