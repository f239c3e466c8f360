using Ingress.Gateway.Http1;
using Ingress.Gateway.Routing.Snapshot;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Relay;

/// <summary>
/// One request being relayed, from its head to the end of its response: where it goes, how its body comes in, how
/// many attempts it took, what the client was told, and its two parts on the replica's side, the current
/// <see cref="Attempt"/> and the <see cref="Response"/>'s framing. A busy client connection keeps one from one request
/// to the next (nothing is allocated per request); an idle one drops it, as it drops its buffer, so an idle
/// keep-alive connection costs little more than its socket.
/// </summary>
internal sealed class RelayExchange
{
    public UpstreamAttempt Attempt;
    public ResponseFraming Response;

    /// <summary>What is being written to the client: a span of the upstream buffer, or a response the relay made.</summary>
    public unsafe byte* Out;

    public int OutLength;

    /// <summary><see cref="Out"/> points into the upstream buffer, which is free again once it is written.</summary>
    public bool OutFromUpstream;

    /// <summary>When a client that reads nothing of the response is given up on (the loop's ms clock).</summary>
    public long SendDeadline;

    /// <summary>What came behind an interim or until-close head in the upstream buffer, sent once that head is out.</summary>
    public int HeldBodyStart;

    public int HeldBodyLength;

    public RequestHead Head;
    public RelayRoute? Route;
    public RelayCluster? Cluster;
    public RelayDestination? Destination;

    /// <summary>When the request started, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
    public long Started;

    public int Attempts;
    public int Retries;

    /// <summary>The one silent retry of a pooled connection the replica had closed meanwhile was made.</summary>
    public bool StaleRetried;

    /// <summary>The replicas not tried yet, once a retry needed the list; null before.</summary>
    public List<DestinationState>? Remaining;

    /// <summary>Body bytes that came with the head, in the client connection's buffer.</summary>
    public long BodyInBuffer;

    /// <summary>Body bytes still to read from the client.</summary>
    public long BodyToRead;

    public long BodyReceived;

    /// <summary>How long the relay has waited on the client for body bytes, in ms, not counting the wait under way.</summary>
    public long BodyClockMs;

    /// <summary>When the wait for body bytes under way started, or -1 when the relay is not waiting on the client.</summary>
    public long BodyWaitStartMs;

    /// <summary>The method and path for the access log, taken before a streamed body overwrites the head.</summary>
    public string? LogMethod;

    public string? LogPath;

    /// <summary>The whole request is still in the buffer, so it can be sent again to another replica.</summary>
    public bool Replayable;

    public bool CloseAfterResponse;

    /// <summary>The status the client got (0 until it got one).</summary>
    public int Status;

    /// <summary>Something of a response (an interim one included) reached the client: the exchange cannot start over.</summary>
    public bool ResponseStarted;

    /// <summary>Starts the exchange of the request <see cref="Head"/> parsed, with <paramref name="buffered"/> bytes read from its start.</summary>
    public void Start(RelayRoute route, RelayCluster cluster, int buffered, bool closeAfterResponse, long startedTicks)
    {
        Route = route;
        Cluster = cluster;
        Destination = null;
        Started = startedTicks;
        Attempts = 0;
        Retries = 0;
        StaleRetried = false;
        Remaining = null;
        BodyInBuffer = Math.Min(buffered - Head.Length, Head.ContentLength);
        BodyToRead = Head.ContentLength - BodyInBuffer;
        BodyReceived = BodyInBuffer;
        BodyClockMs = 0;
        BodyWaitStartMs = -1;
        LogMethod = null;
        LogPath = null;
        Replayable = true;
        CloseAfterResponse = closeAfterResponse;
        Status = 0;
        ResponseStarted = false;
    }

    /// <summary>A bodiless GET, HEAD or OPTIONS: safe to send twice.</summary>
    public bool IsBodilessIdempotent => Head.ContentLength == 0 && RequestMethods.IsIdempotentWithoutBody(Head.Method);

    /// <summary>The relay is now waiting on the client for body bytes: the data-rate clock runs (only) while it does, as Kestrel's does.</summary>
    public void StartBodyWait(long nowMs)
    {
        if (BodyToRead > 0 && BodyWaitStartMs < 0)
        {
            BodyWaitStartMs = nowMs;
        }
    }

    /// <summary><paramref name="read"/> more body bytes came in; the buffer they were read into no longer holds the request.</summary>
    public void BodyRead(int read, long nowMs)
    {
        Replayable = false;
        BodyToRead -= read;
        BodyReceived += read;
        BodyClockMs += nowMs - BodyWaitStartMs;
        BodyWaitStartMs = -1;
    }

    /// <summary>Kestrel's <c>MinRequestBodyDataRate</c>: whether the client has sent its body too slowly, by <paramref name="nowMs"/>.</summary>
    public bool IsBodyTooSlow(long nowMs, RelaySettings settings)
    {
        var waited = BodyClockMs + (BodyWaitStartMs >= 0 ? nowMs - BodyWaitStartMs : 0);
        return BodyToRead > 0 && waited > settings.MinRequestBodyGracePeriodMs
            && BodyReceived < settings.MinRequestBodyBytesPerSecond * waited / 1000;
    }

    /// <summary>How many bytes of the buffer (of <paramref name="end"/>) belong to this request: the rest is the next one.</summary>
    public int Consumed(int end) => Replayable ? Head.Length + (int)BodyInBuffer : end;

    /// <summary>Forgets where the request went, once it is done; the connection reads the next one.</summary>
    public void Clear()
    {
        Route = null;
        Cluster = null;
        Destination = null;
        Remaining = null;
    }
}
