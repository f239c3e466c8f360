namespace Ingress.Hostname;

internal static partial class HostnameApp
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Answering as {Name} on {Addresses}; SIGTERM drains for {DrainDelay}.")]
        public static partial void Started(ILogger logger, string name, string addresses, TimeSpan drainDelay);
    }
}
