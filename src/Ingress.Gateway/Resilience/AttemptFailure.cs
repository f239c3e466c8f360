namespace Ingress.Gateway.Resilience;

/// <summary>
/// How an attempt at a replica failed, in the terms that decide whether the request may go to another replica and
/// whether the replica leaves rotation. The relay and the YARP pipeline each say which one they met, and ask
/// <see cref="AttemptFailures"/> the rest.
/// </summary>
internal enum AttemptFailure : byte
{
    /// <summary>No connection was made: refused, unreachable, no local port, or the connect timed out. No byte was sent.</summary>
    NotConnected,

    /// <summary>
    /// The replica went silent (request bytes outstanding, nothing acknowledged for <c>UnacknowledgedTimeout</c>) and
    /// acknowledged none of this request's bytes: it never received any of it.
    /// </summary>
    SilentUnacknowledged,

    /// <summary>The replica went silent after acknowledging part of this request: it may act on what it received.</summary>
    SilentAcknowledged,

    /// <summary>The connection reset or closed after the request was sent, before a response head arrived.</summary>
    Reset,

    /// <summary>Anything else: a malformed response, a replica slower than the activity timeout, the gateway's own shortage.</summary>
    Other,
}

/// <summary>The retry and ejection rules for an <see cref="AttemptFailure"/>: one place for both data paths.</summary>
internal static class AttemptFailures
{
    /// <summary>
    /// Whether the request may be sent to another replica: always when the failed one received none of it, whatever the
    /// method; after it may have received some, only a bodiless GET, HEAD or OPTIONS, which are safe to send twice.
    /// Each path still needs the request's bytes at hand to send them again (the relay's buffer, the YARP pipeline's
    /// buffered body).
    /// </summary>
    public static bool IsRetriable(AttemptFailure failure, bool bodilessIdempotent) => failure switch
    {
        AttemptFailure.NotConnected or AttemptFailure.SilentUnacknowledged => true,
        AttemptFailure.SilentAcknowledged or AttemptFailure.Reset => bodilessIdempotent,
        _ => false,
    };

    /// <summary>
    /// Whether the replica could not be reached at all (refused, connect timed out, or silent): it leaves rotation even
    /// when it is the last one (<see cref="TransportFailurePolicy.ShouldEject"/>). A replica that is gone gets a 503
    /// with <c>Retry-After</c> said for it, rather than every request waiting on it first.
    /// </summary>
    public static bool IsUnreachable(AttemptFailure failure) =>
        failure is AttemptFailure.NotConnected or AttemptFailure.SilentUnacknowledged or AttemptFailure.SilentAcknowledged;

    /// <summary>Whether the replica's side of the connection was silent rather than closed or refused.</summary>
    public static bool IsSilent(AttemptFailure failure) =>
        failure is AttemptFailure.SilentUnacknowledged or AttemptFailure.SilentAcknowledged;
}
