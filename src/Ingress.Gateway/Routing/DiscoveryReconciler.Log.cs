namespace Ingress.Gateway.Routing;

internal sealed partial class DiscoveryReconciler
{
    [LoggerMessage(1, LogLevel.Information, "Published proxy config revision {Revision}: {Routes} routes, {Clusters} clusters, {Destinations} destinations.")]
    private partial void LogConfigPublished(long revision, int routes, int clusters, int destinations);

    [LoggerMessage(2, LogLevel.Warning, "Skipping service {ServiceName}: {Reason}. Other services are unaffected.")]
    private partial void LogServiceSkipped(string serviceName, string reason);

    [LoggerMessage(3, LogLevel.Error, "Discovery source {Source} is failing: {Reason}. Keeping the last known destinations: {HasLastKnown}. Retrying with backoff; this is logged once per outage.")]
    private partial void LogSourceFailing(string source, string reason, bool hasLastKnown);

    [LoggerMessage(4, LogLevel.Information, "Discovery source {Source} recovered after {Duration} and {Failures} failed attempts.")]
    private partial void LogSourceRecovered(string source, TimeSpan duration, int failures);

    [LoggerMessage(5, LogLevel.Error, "Discovery source {Source} is partly failing: {Reason}. Those keep their last known destinations; everything else the source lists is updated. Logged once until a complete listing succeeds.")]
    private partial void LogSourcePartlyFailing(string source, string reason);
}
