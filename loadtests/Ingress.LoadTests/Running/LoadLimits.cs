namespace Ingress.LoadTests.Running;

/// <summary>Hard bounds that keep every run finite, whoever starts it.</summary>
public static class LoadLimits
{
    /// <summary>Longest measured phase.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(10);

    /// <summary>Longest warm-up.</summary>
    public static readonly TimeSpan MaxWarmup = TimeSpan.FromMinutes(1);

    /// <summary>Longest time one request may take before it counts as a timeout.</summary>
    public static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Most concurrent virtual users (and so connections).</summary>
    public const int MaxConnections = 5_000;

    /// <summary>Highest open-model request rate.</summary>
    public const double MaxRequestsPerSecond = 1_000_000;
}
