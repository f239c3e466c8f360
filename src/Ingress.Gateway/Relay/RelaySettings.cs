using Ingress.Gateway.Configuration;
using Ingress.Gateway.Resilience;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ingress.Gateway.Relay;

/// <summary>The settings the relay's connections read on every request, resolved once into plain numbers.</summary>
internal sealed record RelaySettings
{
    /// <summary>How long the relay waits on a client whose response it cannot write (nginx's <c>send_timeout</c> default).</summary>
    public const long SendTimeoutMs = 60_000;

    /// <summary>How long a closing connection keeps reading (and discarding) what the client still sends, so the response is not lost to a reset.</summary>
    public const long LingerMs = 2_000;

    public required long KeepAliveTimeoutMs { get; init; }

    /// <summary>Heads longer than this go to Kestrel, which applies <c>MaxRequestHeadersTotalSize</c> (431).</summary>
    public required int MaxRequestHeadLength { get; init; }

    /// <summary>Request lines longer than this go to Kestrel, which applies <c>MaxRequestLineSize</c> (414).</summary>
    public required int MaxRequestLineSize { get; init; }

    public required long RequestHeadersTimeoutMs { get; init; }

    public required long ConnectTimeoutMs { get; init; }

    /// <summary>How long request bytes may stay unacknowledged before the replica counts as silent (<see cref="SilentReplica"/>).</summary>
    public required long UnacknowledgedTimeoutMs { get; init; }

    /// <summary>Bodies over this go to Kestrel (which answers 413); null for no limit.</summary>
    public required long? MaxRequestBodySize { get; init; }

    public required double MinRequestBodyBytesPerSecond { get; init; }

    public required long MinRequestBodyGracePeriodMs { get; init; }

    /// <summary>Request header names with an underscore are forwarded (<see cref="Http1.UnderscoreHeaders"/>).</summary>
    public required bool AllowUnderscoresInHeaders { get; init; }

    public required bool Retries { get; init; }

    public required int MaxAttempts { get; init; }

    /// <summary>
    /// The relay's settings from Kestrel's own limits, as configured for the entry ports, so that both paths apply one
    /// set: what the relay cannot apply as Kestrel would, it hands to Kestrel.
    /// </summary>
    public static RelaySettings From(KestrelServerLimits kestrel, GatewayLimitsOptions limits, ResilienceOptions resilience) => new()
    {
        KeepAliveTimeoutMs = (long)kestrel.KeepAliveTimeout.TotalMilliseconds,
        MaxRequestHeadLength = kestrel.MaxRequestHeadersTotalSize,
        MaxRequestLineSize = kestrel.MaxRequestLineSize,
        RequestHeadersTimeoutMs = (long)kestrel.RequestHeadersTimeout.TotalMilliseconds,
        ConnectTimeoutMs = (long)resilience.ConnectTimeout.TotalMilliseconds,
        UnacknowledgedTimeoutMs = Math.Max((long)resilience.UnacknowledgedTimeout.TotalMilliseconds, 1),
        MaxRequestBodySize = kestrel.MaxRequestBodySize,
        MinRequestBodyBytesPerSecond = kestrel.MinRequestBodyDataRate?.BytesPerSecond ?? 0,
        MinRequestBodyGracePeriodMs = (long)(kestrel.MinRequestBodyDataRate?.GracePeriod ?? TimeSpan.Zero).TotalMilliseconds,
        AllowUnderscoresInHeaders = limits.AllowUnderscoresInHeaders,
        Retries = resilience.Retries,
        MaxAttempts = resilience.MaxAttempts,
    };
}
