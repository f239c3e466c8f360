using Ingress.LoadTests.Measurement;
using Ingress.LoadTests.Reporting;

namespace Ingress.LoadTests.Tests.Infrastructure;

/// <summary>Hand-made <see cref="LoadReport"/>s for tests of what consumes one.</summary>
internal static class Reports
{
    public static LoadReport Sample(
        double requestsPerSecond = 1000,
        double p99Ms = 5,
        long refused = 0,
        long serverErrors = 0,
        IReadOnlyDictionary<string, long>? hostNames = null,
        long responses = 10_000)
    {
        var statusCodes = new Dictionary<int, long> { [200] = responses - serverErrors };
        if (serverErrors > 0)
        {
            statusCodes[503] = serverErrors;
        }

        return new LoadReport
        {
            Scenario = "closed",
            Target = "http://127.0.0.1:8080/",
            Model = "closed",
            Connections = 8,
            KeepAlive = true,
            StartedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
            WarmupSeconds = 1,
            DurationSeconds = 10,
            Requests = responses + refused,
            Responses = responses,
            RequestsPerSecond = requestsPerSecond,
            Latency = responses == 0 ? LatencySummary.Empty : new LatencySummary(responses, 0.1, 1, 1, 2, p99Ms, p99Ms * 2, p99Ms * 3),
            StatusCodes = responses == 0 ? new Dictionary<int, long>() : statusCodes,
            TransportErrors = new TransportErrorCounts(refused, 0, 0, 0),
            HostNames = hostNames,
            Percentiles = responses == 0 ? [] : [new(0, 0.1), new(50, 1), new(90, 2), new(99, p99Ms), new(99.9, p99Ms * 2), new(100, p99Ms * 3)],
            Timeline = [new IntervalSample(false, 1, 1000, 1000, 0, p99Ms, 0, p99Ms)],
            Actions = [],
        };
    }
}
