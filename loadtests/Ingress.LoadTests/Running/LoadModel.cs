namespace Ingress.LoadTests.Running;

/// <summary>How virtual users pace their requests.</summary>
public enum LoadModel
{
    /// <summary>Each virtual user sends its next request as soon as the previous one completes.</summary>
    Closed,

    /// <summary>
    /// Requests follow a fixed schedule regardless of how fast responses come back; latency is
    /// measured from the intended send time so a stalled server cannot hide its queueing.
    /// </summary>
    Open,
}
