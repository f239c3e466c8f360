using Ingress.LoadTests.Measurement;

namespace Ingress.LoadTests.Tests.Measurement;

public sealed class StatusCodeTallyTests
{
    [Fact]
    public void Count_ManyDistinctCodes_KeepsEveryCount()
    {
        var tally = new StatusCodeTally();
        for (var code = 200; code < 210; code++)
        {
            for (var n = 0; n <= code - 200; n++)
            {
                tally.Count(code);
            }
        }

        var totals = new SortedDictionary<int, long>();
        tally.AddTo(totals);

        Assert.Equal(10, totals.Count);
        Assert.Equal(1, totals[200]);
        Assert.Equal(10, totals[209]);
    }
}
