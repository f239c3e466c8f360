using System.Xml.Linq;
using Ingress.LoadTests.Reporting;
using Ingress.LoadTests.Tests.Infrastructure;

namespace Ingress.LoadTests.Tests.Reporting;

public sealed class LatencyPlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Render_TypicalRun_IsWellFormedSvgWithAxesCurveAndFourMarkers()
    {
        var svg = XDocument.Parse(LatencyPlot.Render(Reports.Sample()));

        Assert.Equal(Svg + "svg", svg.Root!.Name);
        Assert.Single(svg.Descendants(Svg + "path"));
        Assert.Equal(4, svg.Descendants(Svg + "circle").Count());
        var texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("Latency (ms)", texts);
        Assert.Contains(texts, t => t.StartsWith("Percentile", StringComparison.Ordinal));
        Assert.Contains("99%", texts);
        Assert.Contains("99.9%", texts);
        Assert.Contains(texts, t => t.StartsWith("p99.9", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_TailFarAboveTheMedian_SwitchesToALogarithmicLatencyAxis()
    {
        var texts = XDocument.Parse(LatencyPlot.Render(Reports.Sample(p99Ms: 400)))
            .Descendants(Svg + "text").Select(t => t.Value);

        Assert.Contains("Latency (ms, log scale)", texts);
    }

    [Fact]
    public void Render_NoResponses_SaysSoInsteadOfDrawingACurve()
    {
        var svg = XDocument.Parse(LatencyPlot.Render(Reports.Sample(responses: 0, refused: 10)));

        Assert.Empty(svg.Descendants(Svg + "path"));
        Assert.Contains(svg.Descendants(Svg + "text"), t => t.Value.Contains("no responses", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_TargetWithMarkupCharacters_IsEscaped()
    {
        var report = Reports.Sample() with { Target = "http://127.0.0.1/?a=1&b=<2>" };

        var svg = XDocument.Parse(LatencyPlot.Render(report));

        Assert.Contains(svg.Descendants(Svg + "text"), t => t.Value.Contains("a=1&b=<2>", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(90, 1)]
    [InlineData(99, 2)]
    [InlineData(99.9, 3)]
    [InlineData(100, 4)]
    public void PercentileToX_Decades_MapToWholeNumbers(double percentile, double expected) =>
        Assert.Equal(expected, LatencyPlot.PercentileToX(percentile, maxX: 4), 9);
}
