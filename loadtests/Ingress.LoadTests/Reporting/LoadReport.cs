using System.Text.Json.Serialization;
using Ingress.LoadTests.Measurement;

namespace Ingress.LoadTests.Reporting;

/// <summary>The outcome of one measured phase: throughput, latency, errors and, for hostname targets, the spread over replicas.</summary>
public sealed record LoadReport
{
    public required string Scenario { get; init; }

    public required string Target { get; init; }

    public required string Model { get; init; }

    public required int Connections { get; init; }

    public required bool KeepAlive { get; init; }

    /// <summary>The open model's schedule; null for the closed model.</summary>
    public double? TargetRequestsPerSecond { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required double WarmupSeconds { get; init; }

    /// <summary>Measured wall time, including the tail of requests in flight when the duration ran out.</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>Every request that finished: responses plus transport errors.</summary>
    public required long Requests { get; init; }

    /// <summary>Requests answered with an HTTP response, whatever its status.</summary>
    public required long Responses { get; init; }

    /// <summary>Responses per second, like wrk's Requests/sec.</summary>
    public required double RequestsPerSecond { get; init; }

    public required LatencySummary Latency { get; init; }

    public required IReadOnlyDictionary<int, long> StatusCodes { get; init; }

    public required TransportErrorCounts TransportErrors { get; init; }

    /// <summary>Responses per replica host name; null when host names were not tracked.</summary>
    public IReadOnlyDictionary<string, long>? HostNames { get; init; }

    public required IReadOnlyList<PercentilePoint> Percentiles { get; init; }

    /// <summary>One sample per second of the measured phase, to see dips around chaos actions.</summary>
    public required IReadOnlyList<IntervalSample> Timeline { get; init; }

    public required IReadOnlyList<ActionOutcome> Actions { get; init; }

    /// <summary>Responses with a 5xx status.</summary>
    public long ServerErrors
    {
        get
        {
            long total = 0;
            foreach (var (code, count) in StatusCodes)
            {
                if (code >= 500)
                {
                    total += count;
                }
            }

            return total;
        }
    }

    /// <summary>Transport errors plus 5xx responses: what <c>--max-failures</c> limits.</summary>
    public long Failures => TransportErrors.Total + ServerErrors;

    /// <summary>See <see cref="HostNameDistribution.Imbalance"/>; null when host names were not tracked.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? HostImbalance => HostNames is null ? null : HostNameDistribution.Imbalance(HostNames);
}

/// <summary>Requests that got no HTTP response, by cause.</summary>
public sealed record TransportErrorCounts(long Refused, long Reset, long Timeout, long Other)
{
    public long Total => Refused + Reset + Timeout + Other;
}

/// <summary>What became of one <see cref="Running.TimedAction"/>.</summary>
/// <param name="Name">The action's name.</param>
/// <param name="ScheduledAtSeconds">When it was due, into the measured phase.</param>
/// <param name="StartedAtSeconds">When it actually started; null if the run ended first.</param>
/// <param name="DurationMs">How long it ran; null if it never started.</param>
/// <param name="Error">Why it failed or did not run; null on success.</param>
public sealed record ActionOutcome(string Name, double ScheduledAtSeconds, double? StartedAtSeconds, double? DurationMs, string? Error)
{
    public bool Succeeded => Error is null;
}
