namespace Ingress.Gateway.Discovery.Dns;

internal sealed partial class DnsSwarmSource
{
    [LoggerMessage(200, LogLevel.Information, "DNS discovery resolving {Count} services every {Interval}.")]
    private partial void LogStarting(int count, TimeSpan interval);

    [LoggerMessage(201, LogLevel.Warning, "{Name} does not resolve: the service has no running task, or is not on a network this gateway shares.")]
    private partial void LogNoTasks(string name);

    [LoggerMessage(202, LogLevel.Information, "{Name} resolves again, to {Count} addresses.")]
    private partial void LogResolvableAgain(string name, int count);

    [LoggerMessage(203, LogLevel.Error, "A DNS discovery pass failed unexpectedly; the last published services stay in force and the pass is retried with backoff. Logged once until a pass succeeds.")]
    private partial void LogPassFailed(Exception exception);
}
