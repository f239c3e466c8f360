namespace Ingress.Gateway.Discovery.Control;

/// <summary>
/// Keeps a manager gateway's <see cref="ControlNetwork"/> current: resolves the manager gateways' name (which includes
/// this gateway once Swarm has registered it) every 2 s until the control network is known, then every 30 s.
/// </summary>
internal sealed partial class ControlNetworkWatcher(
    ManagerDirectory managers,
    ControlNetwork network,
    ControlStatus status,
    TimeProvider time,
    ILogger<ControlNetworkWatcher> logger) : BackgroundService
{
    internal static readonly TimeSpan UnknownInterval = TimeSpan.FromSeconds(2);
    internal static readonly TimeSpan KnownInterval = TimeSpan.FromSeconds(30);
    internal static readonly TimeSpan WarnAfter = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? described = null;
        var started = time.GetTimestamp();
        var warned = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (endpoints, error) = await managers.ResolveAsync(stoppingToken).ConfigureAwait(false);
                network.Update(endpoints.Select(e => e.Address));
                var now = string.Join(", ", network.Describe());
                if (network.IsKnown && now != described)
                {
                    LogControlNetwork(now);
                    described = now;
                }

                // Swarm registers this gateway's own alias a moment after it starts: only a lasting gap is worth a warning.
                if (!network.IsKnown && !warned && time.GetElapsedTime(started) >= WarnAfter)
                {
                    LogControlNetworkUnknown(error ?? "none of the manager gateways' addresses is on a network of this gateway", WarnAfter.TotalSeconds);
                    warned = true;
                }

                status.Serving(network.Describe());
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogResolveFailed(ex);
            }

            try
            {
                await Task.Delay(network.IsKnown ? KnownInterval : UnknownInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(520, LogLevel.Information, "Control channel: taking follower requests on {Addresses}.")]
    private partial void LogControlNetwork(string addresses);

    [LoggerMessage(521, LogLevel.Warning, "Control channel: the control network is still not known after {Seconds} s ({Reason}); follower requests are refused until it is.")]
    private partial void LogControlNetworkUnknown(string reason, double seconds);

    [LoggerMessage(522, LogLevel.Error, "Control channel: resolving the manager gateways failed unexpectedly; retrying.")]
    private partial void LogResolveFailed(Exception exception);
}
