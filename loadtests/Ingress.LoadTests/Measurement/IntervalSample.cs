namespace Ingress.LoadTests.Measurement;

/// <summary>What happened during one progress interval (about a second) of a run.</summary>
/// <param name="IsWarmup">True while warming up; such samples are not kept in the report.</param>
/// <param name="ElapsedSeconds">Time since the phase began, at the end of this interval.</param>
/// <param name="Responses">Responses completed in this interval.</param>
/// <param name="RequestsPerSecond">Responses per second over this interval.</param>
/// <param name="Failures">Transport errors and 5xx responses in this interval.</param>
/// <param name="P99Ms">p99 latency of this interval alone.</param>
/// <param name="CumulativeFailures">Failures since the phase began.</param>
/// <param name="CumulativeP99Ms">p99 latency since the phase began.</param>
public sealed record IntervalSample(
    bool IsWarmup,
    double ElapsedSeconds,
    long Responses,
    double RequestsPerSecond,
    long Failures,
    double P99Ms,
    long CumulativeFailures,
    double CumulativeP99Ms);
