namespace Ingress.Gateway.Discovery;

/// <summary>Receives what discovery sources find and how they fare; implemented by the reconciler.</summary>
public interface IDiscoverySink
{
    /// <summary>Publishes a complete listing from a source. Called after every successful listing, changed or not.</summary>
    void Publish(DiscoverySnapshot snapshot);

    /// <summary>
    /// Publishes a listing that is only partly fresh: the parts the source could not list (<paramref name="failure"/>
    /// says which and why) carry their last known state. Its routes take effect, but the source stays reported as
    /// failing until it publishes a complete listing again.
    /// </summary>
    void PublishPartial(DiscoverySnapshot snapshot, string failure);

    /// <summary>Records that a source failed; its last snapshot stays in force.</summary>
    void ReportFailure(string source, string reason);
}
