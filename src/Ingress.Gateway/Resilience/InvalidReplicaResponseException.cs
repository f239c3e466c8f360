namespace Ingress.Gateway.Resilience;

/// <summary>
/// A replica's response broke a rule the relay's parsers enforce and HttpClient does not (a head line ending in a bare
/// LF, broken chunked framing; <see cref="Http1.ResponseStreamScanner"/>). Thrown from the YARP pipeline's connections,
/// so the YARP path answers 502 (or cuts the client off, once the head went out) as the relay does; like the relay's
/// invalid responses, it is never retried (<see cref="ForwarderFailure"/>).
/// </summary>
internal sealed class InvalidReplicaResponseException()
    : IOException("The replica's response is not valid HTTP/1.1: a line ending in a bare LF, or broken chunked framing.");
