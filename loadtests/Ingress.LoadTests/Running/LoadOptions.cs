using Ingress.LoadTests.Measurement;

namespace Ingress.LoadTests.Running;

/// <summary>Everything one load run needs, fixed before it starts.</summary>
/// <remarks>
/// Defaults: closed model, 32 connections, 2 s warm-up then 10 s measured, no request cap,
/// 5 s request timeout, keep-alive on, pooled connections recycled every 2 minutes so that
/// a long run notices replicas that came and went, host names not tracked, only loopback
/// targets allowed. <see cref="LoadLimits"/> caps every one of them.
/// </remarks>
public sealed record LoadOptions
{
    /// <summary>Name carried into the report, e.g. <c>closed</c> or <c>kill-task</c>.</summary>
    public required string Scenario { get; init; }

    /// <summary>The URL every request is sent to.</summary>
    public required Uri Target { get; init; }

    /// <summary>Closed (back-to-back per user) or open (fixed rate).</summary>
    public LoadModel Model { get; init; } = LoadModel.Closed;

    /// <summary>Concurrent virtual users; each owns at most one connection.</summary>
    public int Connections { get; init; } = 32;

    /// <summary>Schedule of the open model, in requests per second. Ignored by the closed model.</summary>
    public double RequestsPerSecond { get; init; }

    /// <summary>Length of the measured phase.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Load applied before measuring, to fill connection pools and let the JIT settle.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Optional cap on the requests of the measured phase.</summary>
    public long? MaxRequests { get; init; }

    /// <summary>How long one request may take before it counts as a timeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>False sends <c>Connection: close</c> so every request pays for a new connection.</summary>
    public bool KeepAlive { get; init; } = true;

    /// <summary>How long a pooled connection is reused before it is replaced.</summary>
    public TimeSpan PooledConnectionLifetime { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Counts the bodies of 2xx responses as replica host names (the hostname service answers with its name).</summary>
    public bool TrackHostNames { get; init; }

    /// <summary>Hosts besides loopback that this run may target, such as the project's own containers.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Actions to run at set times into the measured phase.</summary>
    public IReadOnlyList<TimedAction> Actions { get; init; } = [];

    /// <summary>Called about once a second with the latest interval, for live progress.</summary>
    public Action<IntervalSample>? OnInterval { get; init; }
}
