namespace Ingress.Hostname.Shutdown;

internal sealed partial class ShutdownDrain
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "SIGTERM received: /healthz answers 503 and requests are still served for {DrainDelay} before stopping.")]
        public static partial void Draining(ILogger logger, TimeSpan drainDelay);

        [LoggerMessage(2, LogLevel.Information, "Drain over: stopping once in-flight requests finish.")]
        public static partial void DrainOver(ILogger logger);

        [LoggerMessage(3, LogLevel.Information, "{Signal} received: stopping once in-flight requests finish, without draining.")]
        public static partial void StoppingNow(ILogger logger, string signal);
    }
}
