namespace Ingress.Gateway.Resilience;

internal sealed partial class SilentReplicaWatch
{
    [LoggerMessage(320, LogLevel.Warning, "Looking at a connection to a replica for silence failed; the watch goes on.")]
    private partial void LogInspectFailed(Exception exception);
}
