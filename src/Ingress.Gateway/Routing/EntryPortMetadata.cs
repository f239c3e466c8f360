namespace Ingress.Gateway.Routing;

/// <summary>Endpoint metadata binding an endpoint to the listener port a request arrived on.</summary>
/// <param name="Port">The local port the connection must have been accepted on.</param>
internal sealed record EntryPortMetadata(int Port);
