using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Model;

namespace Ingress.Gateway.Telemetry;

/// <summary>
/// Running totals per replica (requests, failures, summed latency) that the dashboard turns into rates by
/// differencing two reads. Two interlocked adds per request, no allocation after a replica's first request.
/// </summary>
internal sealed class ReplicaStats
{
    private readonly ConditionalWeakTable<DestinationState, Totals> _totals = [];

    public void Record(DestinationState destination, long elapsedTicks, bool failed)
    {
        var totals = _totals.GetOrCreateValue(destination);
        Interlocked.Increment(ref totals.Requests);
        Interlocked.Add(ref totals.ElapsedTicks, elapsedTicks);
        if (failed)
        {
            Interlocked.Increment(ref totals.Failures);
        }
    }

    public (long Requests, long Failures, double TotalSeconds) Read(DestinationState destination) =>
        _totals.TryGetValue(destination, out var totals)
            ? (Volatile.Read(ref totals.Requests), Volatile.Read(ref totals.Failures), Volatile.Read(ref totals.ElapsedTicks) / (double)System.Diagnostics.Stopwatch.Frequency)
            : (0, 0, 0);

    private sealed class Totals
    {
        public long Requests;
        public long Failures;
        public long ElapsedTicks;
    }
}
