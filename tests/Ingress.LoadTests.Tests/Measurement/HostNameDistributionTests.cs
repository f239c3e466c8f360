using Ingress.LoadTests.Measurement;

namespace Ingress.LoadTests.Tests.Measurement;

public sealed class HostNameDistributionTests
{
    [Fact]
    public void Imbalance_PerfectRoundRobin_IsZero() =>
        Assert.Equal(0, HostNameDistribution.Imbalance(new Dictionary<string, long> { ["a"] = 100, ["b"] = 100, ["c"] = 100 }));

    [Fact]
    public void Imbalance_OneHostGetsHalfAgainItsShare_IsOneHalf() =>
        Assert.Equal(0.5, HostNameDistribution.Imbalance(new Dictionary<string, long> { ["a"] = 150, ["b"] = 100, ["c"] = 50 }), 6);

    [Fact]
    public void Imbalance_SingleHost_IsZero() =>
        Assert.Equal(0, HostNameDistribution.Imbalance(new Dictionary<string, long> { ["a"] = 42 }));
}
