namespace Ingress.LoadTests.Measurement;

/// <summary>How evenly responses were spread across replicas.</summary>
public static class HostNameDistribution
{
    /// <summary>
    /// The largest relative distance of any host's count from the fair share (the mean):
    /// 0 for a perfect round robin, 0.5 when some host got half again (or half less) than its share.
    /// </summary>
    /// <remarks>Zero for fewer than two hosts, where there is nothing to balance.</remarks>
    public static double Imbalance(IReadOnlyDictionary<string, long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (counts.Count < 2)
        {
            return 0;
        }

        long total = 0;
        foreach (var count in counts.Values)
        {
            total += count;
        }

        var mean = (double)total / counts.Count;
        var worst = 0.0;
        foreach (var count in counts.Values)
        {
            worst = Math.Max(worst, Math.Abs(count - mean) / mean);
        }

        return worst;
    }
}
