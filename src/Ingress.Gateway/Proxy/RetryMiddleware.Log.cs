using Yarp.ReverseProxy.Forwarder;

namespace Ingress.Gateway.Proxy;

internal sealed partial class RetryMiddleware
{
    [LoggerMessage(300, LogLevel.Debug, "Retrying a request to {ServiceName} after {Error} from {Destination}; attempt {Attempt}.")]
    private partial void LogRetrying(string serviceName, string? destination, ForwarderError error, int attempt);

    [LoggerMessage(301, LogLevel.Warning, "The retry budget of {ServiceName} is spent; failures are passed to clients until requests earn more.")]
    private partial void LogBudgetExhausted(string serviceName);
}
