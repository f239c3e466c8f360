using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Ingress.Gateway.Telemetry;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Discovery.Control;

/// <summary>
/// The discovery source of a gateway that cannot read the swarm (on a worker): it follows a manager gateway over the
/// control channel with a long poll, verifies and decrypts what it sends, and publishes it like any source, so the
/// reconciler and the route builder route exactly as on the manager. When the manager gateway it follows stops answering
/// it moves to another; while none answers, the last known state stays in force and the source reports failing.
/// </summary>
internal sealed partial class FollowerSource(
    IDiscoverySink sink,
    ControlClient client,
    ManagerDirectory managers,
    ControlStatus status,
    IOptions<ControlOptions> options,
    GatewayMetrics metrics,
    TimeProvider time,
    ILogger<FollowerSource> logger) : BackgroundService
{
    /// <summary>The name this source reports under.</summary>
    public const string SourceName = "managers";

    /// <summary>The largest answer taken: a sealed, compressed document of many thousand services fits with room to spare.</summary>
    internal const int MaxAnswerBytes = 64 * 1024 * 1024;

    private readonly ControlOptions _options = options.Value;
    private Applied? _applied;
    private DateTimeOffset? _lostSince;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new RetryBackoff(TimeSpan.FromMilliseconds(250), _options.MaxRetryDelay);
        LogStarting(_options.Managers ?? "");
        while (!stoppingToken.IsCancellationRequested)
        {
            var errors = new List<string>();
            try
            {
                var (endpoints, resolveError) = await managers.ResolveAsync(stoppingToken).ConfigureAwait(false);
                if (resolveError is not null)
                {
                    errors.Add(resolveError);
                }

                foreach (var endpoint in endpoints)
                {
                    if (await FollowAsync(endpoint, errors, stoppingToken).ConfigureAwait(false))
                    {
                        backoff.Reset();
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                errors.Add(ex.Message);
            }

            if (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            ReportLost(errors.Count == 0 ? "no manager gateway is known" : string.Join("; ", errors));
            try
            {
                await Task.Delay(backoff.Next(), time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Follows one manager gateway for as long as it answers. True when it answered at least once.</summary>
    private async Task<bool> FollowAsync(IPEndPoint endpoint, List<string> errors, CancellationToken stoppingToken)
    {
        var answered = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PollAsync(endpoint, stoppingToken).ConfigureAwait(false);
                answered = true;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                var reason = ControlClient.Describe(ex);
                errors.Add($"{endpoint}: {reason}");
                if (answered)
                {
                    LogManagerLost(endpoint.ToString(), reason);
                }

                return answered;
            }
        }

        return answered;
    }

    /// <summary>One long poll: sends what this follower has, applies what comes back.</summary>
    private async Task PollAsync(IPEndPoint endpoint, CancellationToken stoppingToken)
    {
        var applied = _applied;
        var path = string.Create(CultureInfo.InvariantCulture, $"{ControlEndpoint.StatePath}?epoch={applied?.Epoch}&revision={applied?.Revision ?? 0}");
        var plain = await client.GetAsync(endpoint, path, _options.HeartbeatInterval + _options.HeartbeatGrace, MaxAnswerBytes, stoppingToken).ConfigureAwait(false);

        var now = time.GetUtcNow();
        if (plain.Length == 0)
        {
            // Unchanged since what this follower sent: the same state, confirmed fresh.
            if (applied is null)
            {
                throw new ControlChannelException("it confirmed a state this gateway does not have");
            }

            Apply(applied, now);
        }
        else
        {
            ControlDocument document;
            try
            {
                document = ControlDocument.Decode(plain);
            }
            catch (Exception ex) when (ex is JsonException or InvalidDataException)
            {
                throw new ControlChannelException($"it sent a document this gateway cannot read ({ex.Message}); do both run the same version?");
            }

            applied = new Applied(document.Epoch, document.Revision, document.Manager, document.ToSnapshot(SourceName, now), document.SourceFailure);
            Apply(applied, now);
            metrics.ControlUpdates.Inc();
            if (_applied is null || _applied.Epoch != applied.Epoch)
            {
                LogFollowing(applied.Manager, endpoint.ToString(), applied.Revision, applied.Snapshot.Services.Length);
            }

            _applied = applied;
        }

        if (_lostSince is { } since)
        {
            LogResynchronised(applied.Manager, endpoint.ToString(), (now - since).TotalSeconds);
            _lostSince = null;
        }

        status.Heard(endpoint.ToString(), applied.Manager, applied.Revision, now);
        metrics.ControlFollowing.Set(1);
        metrics.ControlLastHeard.Set(now.ToUnixTimeMilliseconds() / 1000d);
    }

    private void Apply(Applied applied, DateTimeOffset now)
    {
        var snapshot = applied.Snapshot with { TakenAt = now };
        if (applied.SourceFailure is null)
        {
            sink.Publish(snapshot);
        }
        else
        {
            // The manager serves its last known state: routes apply, and this source says why it is not fresh.
            sink.PublishPartial(snapshot, $"the manager gateway {applied.Manager} cannot read the swarm: {applied.SourceFailure}");
        }
    }

    private void ReportLost(string error)
    {
        var now = time.GetUtcNow();
        if (_lostSince is null)
        {
            _lostSince = now;
            LogNoManager(error, _applied is not null);
        }

        status.Lost(error, now);
        metrics.ControlFollowing.Set(0);
        sink.ReportFailure(SourceName, $"no manager gateway answers ({error}); the last known state stays in force");
    }

    /// <summary>What this follower applied last.</summary>
    private sealed record Applied(string Epoch, long Revision, string Manager, DiscoverySnapshot Snapshot, string? SourceFailure);

    [LoggerMessage(510, LogLevel.Information, "Following the manager gateways at {Managers} over the control channel.")]
    private partial void LogStarting(string managers);

    [LoggerMessage(511, LogLevel.Information, "Following manager gateway {Manager} at {Endpoint}: revision {Revision}, {Services} services.")]
    private partial void LogFollowing(string manager, string endpoint, long revision, int services);

    [LoggerMessage(512, LogLevel.Warning, "Lost manager gateway at {Endpoint}: {Reason}. Trying the others.")]
    private partial void LogManagerLost(string endpoint, string reason);

    [LoggerMessage(513, LogLevel.Error, "No manager gateway answers: {Reason}. Serving the last known state: {HasState}. Retrying with backoff; logged once until one answers.")]
    private partial void LogNoManager(string reason, bool hasState);

    [LoggerMessage(514, LogLevel.Information, "Resynchronised with manager gateway {Manager} at {Endpoint} after {Seconds:0.#} s without one.")]
    private partial void LogResynchronised(string manager, string endpoint, double seconds);
}
