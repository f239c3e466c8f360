using Ingress.Gateway.Resilience;
using Ingress.Gateway.Schema;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Transport;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// The first step of the proxy pipeline. It answers a clear 503 when a service has no healthy replica, and re-runs
/// load balancing and forwarding on another replica when an attempt failed in a way that is safe to retry.
/// </summary>
/// <remarks>
/// The common path (first attempt succeeds) costs one budget deposit and one feature lookup: no allocation, but for a
/// request with a small body, which is kept in a buffer so that it can be sent again, and on a sticky cluster for a request
/// whose <see cref="HttpContext.Items"/> already hold something (their keys are noted, to forget the failed attempt's).
/// </remarks>
internal sealed partial class RetryMiddleware
{
    /// <summary>
    /// The largest request body kept for a retry: a replica that went silent may have acknowledged none of a request the
    /// forwarder already sent, body included (<see cref="AttemptFailure.SilentUnacknowledged"/>). The size of the
    /// relay's buffer, which keeps a body that came with its head for the same reason.
    /// </summary>
    public const int MaxReplayedBodyLength = BufferPool.BufferSize;

    private readonly RequestDelegate _next;
    private readonly ResilienceOptions _options;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger<RetryMiddleware> _logger;
    private readonly RetryBudgets _budgets;
    private readonly string _retryAfter;

    public RetryMiddleware(RequestDelegate next, IOptions<ResilienceOptions> options, RetryBudgets budgets, GatewayMetrics metrics, ILogger<RetryMiddleware> logger)
    {
        _next = next;
        _options = options.Value;
        _budgets = budgets;
        _metrics = metrics;
        _logger = logger;
        _retryAfter = _options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var available = proxy.AvailableDestinations;
        if (available.Count == 0)
        {
            await WriteNoReplicaAsync(context, proxy);
            return;
        }

        if (!_options.Retries || _options.MaxAttempts <= 1)
        {
            await _next(context);
            return;
        }

        var cluster = proxy.Route.Cluster!;
        var budget = _budgets.For(cluster);
        budget.Deposit();

        var request = context.Request;
        if (request.ContentLength is > 0 and <= MaxReplayedBodyLength && !request.Headers.ContainsKey(HeaderNames.TransferEncoding))
        {
            // Read from the client as the forwarder sends it, and kept in memory (the buffer is disposed with the response).
            request.EnableBuffering(MaxReplayedBodyLength, MaxReplayedBodyLength);
        }

        // Session affinity remembers in Items the affinity the request's cookie found, and then sets no cookie on the
        // response. Items as they were before the first attempt, so that a retry away from the affine replica forgets it and
        // the client gets a cookie for the replica that served it (sticky clusters only: no cost elsewhere).
        var itemsBefore = proxy.Cluster.Config.SessionAffinity is { Enabled: true } ? ItemKeys(context) : null;
        List<DestinationState>? remaining = null;
        for (var attempt = 1; ; attempt++)
        {
            await _next(context);

            var error = context.Features.Get<IForwarderErrorFeature>();
            if (error is null || attempt >= _options.MaxAttempts || !ForwarderFailure.IsRetriable(error, context))
            {
                return;
            }

            remaining ??= [.. available];
            if (proxy.ProxiedDestination is { } failed)
            {
                remaining.Remove(failed);
            }

            if (remaining.Count == 0)
            {
                return;
            }

            var service = proxy.Cluster.Config.ServiceName();
            if (!budget.TryWithdraw())
            {
                _metrics.RetriesRefused.WithLabels(service).Inc();
                LogBudgetExhausted(service);
                return;
            }

            _metrics.Retries.WithLabels(service).Inc();
            var retries = context.Features.Get<RetryCountFeature>();
            if (retries is null)
            {
                retries = new RetryCountFeature();
                context.Features.Set(retries);
            }

            retries.Retries++;
            LogRetrying(service, proxy.ProxiedDestination?.DestinationId, error.Error, attempt + 1);

            // Nothing was sent to the client yet: forget the failed attempt and let load balancing pick again.
            if (request.Body.CanSeek)
            {
                request.Body.Position = 0;
            }

            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.Clear();
            if (itemsBefore is not null)
            {
                ForgetAttemptItems(context, itemsBefore);
            }

            proxy.ProxiedDestination = null;
            proxy.AvailableDestinations = remaining;
        }
    }

    private static readonly HashSet<object> s_noItems = [];

    private static HashSet<object> ItemKeys(HttpContext context) => context.Items.Count == 0 ? s_noItems : [.. context.Items.Keys];

    /// <summary>Removes what the failed attempt's pipeline (session affinity) put in <see cref="HttpContext.Items"/>.</summary>
    private static void ForgetAttemptItems(HttpContext context, HashSet<object> before)
    {
        List<object>? added = null;
        foreach (var key in context.Items.Keys)
        {
            if (!before.Contains(key))
            {
                (added ??= []).Add(key);
            }
        }

        foreach (var key in added ?? [])
        {
            context.Items.Remove(key);
        }
    }

    private Task WriteNoReplicaAsync(HttpContext context, IReverseProxyFeature proxy)
    {
        var service = proxy.Cluster.Config.ServiceName();
        _metrics.NoHealthyReplica.WithLabels(service).Inc();
        context.Response.StatusCode = NoReplicaAnswer.StatusCode;
        context.Response.ContentType = NoReplicaAnswer.ContentType;
        context.Response.Headers[HeaderNames.RetryAfter] = _retryAfter;
        context.Response.Headers[HeaderNames.CacheControl] = NoReplicaAnswer.CacheControl;
        return context.Response.WriteAsync(NoReplicaAnswer.Body(service));
    }
}
