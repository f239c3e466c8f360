namespace Ingress.Gateway.Resilience;

/// <summary>
/// A connection to a replica was given up because the replica went silent (<see cref="SilentReplica"/>). Thrown from the
/// YARP pipeline's connections, it reaches <see cref="ForwarderFailure"/> inside the forwarder's error, saying whether any
/// of the request had reached the replica.
/// </summary>
internal sealed class SilentReplicaException(AttemptFailure failure, TimeSpan timeout, Exception? inner = null)
    : IOException(
        $"The replica acknowledged nothing for {timeout.TotalMilliseconds:0} ms with request bytes outstanding "
        + (failure == AttemptFailure.SilentUnacknowledged ? "and had acknowledged none of this request" : "after it had acknowledged part of this request")
        + ": its node or link is probably down.",
        inner)
{
    /// <summary><see cref="AttemptFailure.SilentUnacknowledged"/> or <see cref="AttemptFailure.SilentAcknowledged"/>.</summary>
    public AttemptFailure Failure { get; } = failure;
}
