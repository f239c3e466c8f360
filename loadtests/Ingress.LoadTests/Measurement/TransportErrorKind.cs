namespace Ingress.LoadTests.Measurement;

/// <summary>Why a request got no HTTP response, coarse enough to tell chaos events apart.</summary>
internal enum TransportErrorKind
{
    /// <summary>Nothing listened: a stopped replica or a port not yet bound.</summary>
    Refused = 0,

    /// <summary>The peer reset or closed the connection before the response was complete.</summary>
    Reset = 1,

    /// <summary>The request outlived its timeout (or the connect did).</summary>
    Timeout = 2,

    /// <summary>Anything else, e.g. a protocol error.</summary>
    Other = 3,
}
