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

    /// <summary>The totals of <paramref name="destination"/>, created on its first request.</summary>
    public Totals For(DestinationState destination) =>
        _totals.TryGetValue(destination, out var totals) ? totals : _totals.GetOrCreateValue(destination);

    public (long Requests, long Failures, double TotalSeconds) Read(DestinationState destination) =>
        _totals.TryGetValue(destination, out var totals)
            ? (Volatile.Read(ref totals.Requests), Volatile.Read(ref totals.Failures), Volatile.Read(ref totals.ElapsedTicks) / (double)System.Diagnostics.Stopwatch.Frequency)
            : (0, 0, 0);

    /// <summary>One replica's totals, plus its Prometheus series once a request has resolved it.</summary>
    internal sealed class Totals
    {
        public long Requests;
        public long Failures;
        public long ElapsedTicks;

        /// <summary>The replica's <c>ingress_backend_requests_total</c> series (see <see cref="ClusterSeries.BackendRequests"/>).</summary>
        public Prometheus.Counter.Child? BackendRequests;

        public void Record(long elapsedTicks, bool failed)
        {
            Interlocked.Increment(ref Requests);
            Interlocked.Add(ref ElapsedTicks, elapsedTicks);
            if (failed)
            {
                Interlocked.Increment(ref Failures);
            }
        }
    }
}
