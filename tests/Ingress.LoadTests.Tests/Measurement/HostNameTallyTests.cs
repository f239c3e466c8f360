using System.Text;
using Ingress.LoadTests.Measurement;

namespace Ingress.LoadTests.Tests.Measurement;

public sealed class HostNameTallyTests
{
    [Fact]
    public void Count_SameNameWithAndWithoutNewline_CountsOneHost()
    {
        var tally = new HostNameTally();
        tally.Count("replica-1"u8);
        tally.Count("replica-1\n"u8);
        tally.Count("  replica-1\r\n"u8);
        tally.Count("replica-2"u8);

        var totals = Totals(tally);

        Assert.Equal(2, totals.Count);
        Assert.Equal(3, totals["replica-1"]);
        Assert.Equal(1, totals["replica-2"]);
    }

    [Fact]
    public void AddTo_SeveralUsers_SumsPerName()
    {
        var first = new HostNameTally();
        var second = new HostNameTally();
        for (var i = 0; i < 5; i++)
        {
            first.Count("a"u8);
            second.Count("b"u8);
        }

        second.Count("a"u8);
        var totals = new SortedDictionary<string, long>(StringComparer.Ordinal);
        first.AddTo(totals);
        second.AddTo(totals);

        Assert.Equal(6, totals["a"]);
        Assert.Equal(5, totals["b"]);
    }

    [Fact]
    public void Count_BodyLongerThanAName_KeysOnTheFirstBytes()
    {
        var tally = new HostNameTally();
        var longBody = Encoding.UTF8.GetBytes(new string('x', HostNameTally.MaxNameBytes) + "tail-one");
        var otherTail = Encoding.UTF8.GetBytes(new string('x', HostNameTally.MaxNameBytes) + "tail-two");
        tally.Count(longBody);
        tally.Count(otherTail);

        var totals = Totals(tally);

        Assert.Equal(2, Assert.Single(totals).Value);
    }

    [Fact]
    public void Count_MoreDistinctNamesThanTheCap_LumpsTheRestIntoOther()
    {
        var tally = new HostNameTally();
        for (var i = 0; i < HostNameTally.MaxDistinctNames + 10; i++)
        {
            tally.Count(Encoding.UTF8.GetBytes($"name-{i}"));
        }

        var totals = Totals(tally);

        Assert.Equal(HostNameTally.MaxDistinctNames + 1, totals.Count);
        Assert.Equal(10, totals[HostNameTally.OverflowName]);
    }

    [Fact]
    public void Count_NonAsciiName_DecodesAsUtf8()
    {
        var tally = new HostNameTally();
        tally.Count("réplica-ü"u8);

        Assert.Equal(1, Totals(tally)["réplica-ü"]);
    }

    private static SortedDictionary<string, long> Totals(HostNameTally tally)
    {
        var totals = new SortedDictionary<string, long>(StringComparer.Ordinal);
        tally.AddTo(totals);
        return totals;
    }
}
