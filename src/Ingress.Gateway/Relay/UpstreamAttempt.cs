namespace Ingress.Gateway.Relay;

/// <summary>
/// The current attempt at a replica: the upstream connection the request goes out on, how far it got, and when the
/// replica counts as too slow or silent.
/// </summary>
internal struct UpstreamAttempt
{
    public UpstreamConnection? Connection;

    /// <summary>The whole request head (and the body bytes that came with it) went out.</summary>
    public bool RequestHeadSent;

    /// <summary>When the connect, or the replica's silence on the request, times out (the loop's ms clock).</summary>
    public long Deadline;

    /// <summary>The connection's bytes sent before this request: what the replica acknowledged of them says nothing.</summary>
    public ulong SentBeforeRequest;

    /// <summary>When to ask the kernel whether the replica went silent (<see cref="Resilience.SilentReplica"/>); long.MaxValue for never.</summary>
    public long SilenceCheckAt;

    /// <summary>The connection may go back to the pool once the response is done.</summary>
    public bool Reusable;

    /// <summary>Makes <paramref name="upstream"/> the attempt's connection, before anything of the request is written to it.</summary>
    public void Attach(UpstreamConnection upstream)
    {
        Connection = upstream;
        RequestHeadSent = false;
        Reusable = true;
        SentBeforeRequest = upstream.BytesSent;
        SilenceCheckAt = long.MaxValue;
    }
}
