namespace Ingress.LoadTests.Thresholds;

/// <summary>Pass/fail limits for a run; each is checked only when set.</summary>
public sealed record LoadThresholds
{
    /// <summary>Most transport errors plus 5xx responses allowed.</summary>
    public long? MaxFailures { get; init; }

    /// <summary>Fewest responses per second acceptable.</summary>
    public double? MinRequestsPerSecond { get; init; }

    /// <summary>Highest p99 latency acceptable, in milliseconds.</summary>
    public double? MaxP99Ms { get; init; }

    /// <summary>How many distinct replica host names must answer.</summary>
    public int? ExpectHosts { get; init; }

    /// <summary>Largest allowed distance of any replica from its fair share, as a fraction (0.1 = 10 %).</summary>
    public double? MaxHostImbalance { get; init; }

    /// <summary>No limits at all.</summary>
    public static LoadThresholds None { get; } = new();
}
