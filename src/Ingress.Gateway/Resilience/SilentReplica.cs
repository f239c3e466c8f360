using Ingress.Gateway.Transport.Native;

namespace Ingress.Gateway.Resilience;

/// <summary>
/// Tells a replica that stopped acknowledging (its node lost power, its link was cut: no FIN or RST ever comes back)
/// from one that is merely slow, by what TCP knows of the connection, and says whether any of the request reached it.
/// The relay and the YARP pipeline both ask it about a request that was sent and has no answer yet.
/// </summary>
/// <remarks>
/// <para>
/// A connection is silent when request bytes are outstanding (<c>tcpi_unacked</c> &gt; 0) and the replica acknowledged
/// nothing for the timeout (<c>tcpi_last_ack_recv</c>). A slow replica still acknowledges what reaches it. One that
/// reads a large upload slowly keeps its receive window at zero: nothing is outstanding then, and its answers to the
/// kernel's window probes count as acknowledgements. A replica that has the whole request and is slow to answer has
/// nothing outstanding either. None of them is ever taken for silent; the request's activity timeout (504) keeps them.
/// </para>
/// <para>
/// Why not <c>TCP_USER_TIMEOUT</c>: since Linux 5.11 it also aborts a connection whose peer keeps a zero window that
/// long, that is, a healthy replica reading a large upload slowly. Raising it while a write is blocked would not cover
/// the window that closes before the gateway's send buffer fills, and it costs a system call per blocked write. Reading
/// <c>TCP_INFO</c> costs one only for a request not answered within the timeout, and the same read says exactly whether
/// any byte of the request was acknowledged, which decides the retry.
/// </para>
/// </remarks>
internal static class SilentReplica
{
    /// <summary>
    /// The failure, when the connection is silent; null while it is not. <paramref name="sentBeforeRequest"/> is the count
    /// of bytes written on the connection before this request's first byte (0 on a new connection).
    /// </summary>
    public static AttemptFailure? Check(in TcpInfo info, long timeoutMs, ulong sentBeforeRequest)
    {
        if (info.UnackedSegments == 0 || info.MsSinceLastAck < timeoutMs)
        {
            return null;
        }

        // Acknowledgements are cumulative: one byte of this request acknowledged moves the count past what came before
        // it. A kernel that does not report the count proves nothing, so the request is taken as received.
        return info.DataBytesAcked is { } acked && acked <= sentBeforeRequest
            ? AttemptFailure.SilentUnacknowledged
            : AttemptFailure.SilentAcknowledged;
    }

    /// <summary>
    /// How long until the connection could first count as silent, so a request that is slow to be answered costs one
    /// <c>TCP_INFO</c> read per timeout rather than one per tick.
    /// </summary>
    public static long NextCheckDelayMs(in TcpInfo info, long timeoutMs) =>
        info.UnackedSegments > 0 ? Math.Max(timeoutMs - info.MsSinceLastAck, 1) : timeoutMs;
}
