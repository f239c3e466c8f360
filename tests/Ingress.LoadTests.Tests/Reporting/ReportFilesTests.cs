using System.Text.Json;
using Ingress.LoadTests.Reporting;
using Ingress.LoadTests.Tests.Infrastructure;
using Ingress.LoadTests.Thresholds;

namespace Ingress.LoadTests.Tests.Reporting;

public sealed class ReportFilesTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "loadtests-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task WriteAsync_HostnameReport_WritesJsonMarkdownAndSvg()
    {
        var report = Reports.Sample(hostNames: new Dictionary<string, long> { ["replica-1"] = 5000, ["replica-2"] = 5000 });
        var thresholds = ThresholdEvaluator.Evaluate(report, new LoadThresholds { MaxFailures = 0, ExpectHosts = 2 });
        var document = new ReportDocument("Ingress.LoadTests hostname-rotation --url http://127.0.0.1:8080/", report, thresholds, Passed: true);

        var paths = await ReportFiles.WriteAsync(Path.Combine(_directory, "nested"), document, CancellationToken.None);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(paths.Json));
        var root = json.RootElement;
        Assert.True(root.GetProperty("passed").GetBoolean());
        Assert.Equal(1000, root.GetProperty("report").GetProperty("requestsPerSecond").GetDouble());
        Assert.Equal(5000, root.GetProperty("report").GetProperty("hostNames").GetProperty("replica-1").GetInt64());
        Assert.Equal(0, root.GetProperty("report").GetProperty("failures").GetInt64());
        Assert.Equal(2, root.GetProperty("thresholds").GetArrayLength());

        var markdown = await File.ReadAllTextAsync(paths.Markdown);
        Assert.Contains("# Load report: closed", markdown, StringComparison.Ordinal);
        Assert.Contains("| replica-1 | 5,000 | 50.0 % |", markdown, StringComparison.Ordinal);
        Assert.Contains("![Latency by percentile](latency.svg)", markdown, StringComparison.Ordinal);
        Assert.Contains("| expect-hosts | == 2 | 2 | pass |", markdown, StringComparison.Ordinal);

        System.Xml.Linq.XDocument.Parse(await File.ReadAllTextAsync(paths.Plot));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
