namespace Ingress.Gateway.Relay;

/// <summary>How an attempt at a replica failed, as the relay meets it (<see cref="UpstreamError"/> says it in YARP's terms).</summary>
internal enum UpstreamFailure : byte
{
    /// <summary>The connect failed: refused, unreachable, or the gateway's own shortage (the errno says which).</summary>
    ConnectFailed,

    /// <summary>The TCP handshake timed out: a vanished task's address drops packets.</summary>
    ConnectTimeout,

    /// <summary>The connection reset or closed before a response head arrived.</summary>
    Reset,

    /// <summary>The replica sent something that is not an HTTP/1.1 response head, or broke its body's framing.</summary>
    InvalidResponse,

    /// <summary>The replica was silent for longer than the cluster's activity timeout.</summary>
    ActivityTimeout,

    /// <summary>The replica stopped acknowledging before it acknowledged any of the request.</summary>
    Unacknowledged,

    /// <summary>The replica stopped acknowledging after it acknowledged part of the request.</summary>
    SilentAfterPartOfTheRequest,

    /// <summary>The connection ended in the middle of the response body.</summary>
    ResponseBodyCut,
}
