using System.Globalization;
using Ingress.Gateway.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Ingress.Gateway.Discovery.Control;

/// <summary>
/// A manager gateway's control port: <c>GET /control/v1/state?epoch=E&amp;revision=N</c>, a long poll that answers at once
/// when the state differs from what the follower has, else on the next change or after the heartbeat interval. The answer
/// is sealed to the request's nonce (<see cref="ControlToken"/>): the full document, or nothing (unchanged). Any other
/// registered <see cref="IControlResource"/> is served at its path the same way, at once.
/// </summary>
internal sealed partial class ControlEndpoint(
    ControlFeed feed,
    IEnumerable<IControlResource> resources,
    ControlToken token,
    ControlNetwork network,
    ControlStatus status,
    IOptions<ControlOptions> options,
    GatewayMetrics metrics,
    TimeProvider time,
    ILogger<ControlEndpoint> logger)
{
    /// <summary>The path of the state document.</summary>
    public const string StatePath = "/control/v1/state";

    /// <summary>How far a follower's clock may be from this one's.</summary>
    internal static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(60);

    private readonly TimeSpan _heartbeat = options.Value.HeartbeatInterval;
    private readonly Dictionary<string, IControlResource> _resources = resources.ToDictionary(r => r.Path, StringComparer.Ordinal);
    private static readonly TimeSpan RefusalLogInterval = TimeSpan.FromSeconds(10);
    private int _waiting;
    private long _lastRefusalLogged;
    private long _refusalsNotLogged;

    public async Task HandleAsync(HttpContext context)
    {
        var connection = context.Connection;
        if (!network.Allows(connection.LocalIpAddress, connection.RemoteIpAddress))
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "network", "control requests are taken only from the control network.");
            return;
        }

        var target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        IControlResource? resource = null;
        if (!HttpMethods.IsGet(context.Request.Method)
            || (context.Request.Path != StatePath && !_resources.TryGetValue(context.Request.Path.Value ?? "", out resource)))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var verdict = token.Verify(context.Request.Headers.Authorization, target, time.GetUtcNow(), MaxClockSkew, out var nonce);
        if (verdict != ControlAuthResult.Valid)
        {
            var reason = verdict == ControlAuthResult.Stale ? "clock" : "unauthorized";
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, reason,
                verdict == ControlAuthResult.Stale ? $"the request's time is more than {MaxClockSkew.TotalSeconds:0} s from this gateway's clock." : "the request is not signed with the control token.");
            return;
        }

        if (resource is not null)
        {
            await WriteSealedAsync(context, resource.Read(), nonce);
            return;
        }

        var query = context.Request.Query;
        var epoch = query["epoch"].ToString();
        _ = long.TryParse(query["revision"], NumberStyles.None, CultureInfo.InvariantCulture, out var revision);

        var followers = Interlocked.Increment(ref _waiting);
        status.Waiting(followers);
        metrics.ControlFollowers.Set(followers);
        bool changed;
        try
        {
            changed = await feed.WaitForChangeAsync(epoch, revision, _heartbeat, time, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        finally
        {
            followers = Interlocked.Decrement(ref _waiting);
            status.Waiting(followers);
            metrics.ControlFollowers.Set(followers);
        }

        if (feed.Current() is not { } current)
        {
            // The Docker source has not completed a listing yet: nothing to follow here yet.
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers[HeaderNames.RetryAfter] = "1";
            return;
        }

        // Unchanged after the heartbeat interval: a sealed empty answer, which a follower takes as "still the same".
        await WriteSealedAsync(context, changed ? current.Bytes : [], nonce);
    }

    private Task WriteSealedAsync(HttpContext context, byte[] plain, string nonce)
    {
        var sealedBytes = token.Seal(plain, nonce);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/octet-stream";
        context.Response.Headers[HeaderNames.CacheControl] = "no-store";
        context.Response.ContentLength = sealedBytes.Length;
        return context.Response.Body.WriteAsync(sealedBytes, context.RequestAborted).AsTask();
    }

    private Task RefuseAsync(HttpContext context, int status, string reason, string message)
    {
        metrics.ControlRefused.WithLabels(reason).Inc();

        // At most one line per interval: whoever keeps knocking must not be able to flood the log.
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastRefusalLogged);
        if (last == 0 || time.GetElapsedTime(last, now) >= RefusalLogInterval)
        {
            if (Interlocked.CompareExchange(ref _lastRefusalLogged, now, last) == last)
            {
                LogRefused(context.Connection.RemoteIpAddress?.ToString() ?? "?", reason, message, Interlocked.Exchange(ref _refusalsNotLogged, 0));
            }
        }
        else
        {
            Interlocked.Increment(ref _refusalsNotLogged);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n");
    }

    [LoggerMessage(500, LogLevel.Warning, "Refused a control request from {Remote} ({Reason}): {Message} ({Unlogged} more refused since the last such line.)")]
    private partial void LogRefused(string remote, string reason, string message, long unlogged);
}
