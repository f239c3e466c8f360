namespace Ingress.Gateway.Discovery;

/// <summary>Receives what discovery sources find and how they fare; implemented by the reconciler.</summary>
public interface IDiscoverySink
{
    /// <summary>Publishes a complete listing from a source. Called after every successful listing, changed or not.</summary>
    void Publish(DiscoverySnapshot snapshot);

    /// <summary>Records that a source failed; its last snapshot stays in force.</summary>
    void ReportFailure(string source, string reason);
}
