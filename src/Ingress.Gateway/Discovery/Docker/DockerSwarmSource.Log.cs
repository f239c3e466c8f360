namespace Ingress.Gateway.Discovery.Docker;

internal sealed partial class DockerSwarmSource
{
    [LoggerMessage(100, LogLevel.Information, "Docker API discovery watching {Endpoint}; tasks re-listed every {Interval}.")]
    private partial void LogStarting(string endpoint, TimeSpan interval);

    [LoggerMessage(101, LogLevel.Information, "The gateway's container is on networks: {Networks}.")]
    private partial void LogGatewayNetworks(string networks);

    [LoggerMessage(103, LogLevel.Debug, "Docker event {Type} {Action}: re-listing now.")]
    private partial void LogEvent(string type, string action);

    [LoggerMessage(102, LogLevel.Debug, "Docker event stream lost ({Reason}); services are re-listed on every poll until it is back.")]
    private partial void LogEventsLost(string reason);
}
