using System.Text.Json;
using System.Xml.Linq;
using Ingress.LoadTests.Cli;
using Ingress.LoadTests.Reporting;
using Ingress.LoadTests.Tests.Infrastructure;

namespace Ingress.LoadTests.Tests.Cli;

/// <summary>The whole program, arguments to exit code, against real servers.</summary>
[Collection(LoadCollection.Name)]
public sealed class LoadTestCommandTests : IDisposable
{
    private readonly string _results = Path.Combine(Path.GetTempPath(), "loadtests-cli-" + Guid.NewGuid().ToString("N"));
    private readonly StringWriter _stdout = new();
    private readonly StringWriter _stderr = new();

    [Fact]
    public async Task RunAsync_ClosedScenario_PrintsTableWritesReportsAndExitsZero()
    {
        await using var server = await TestServer.StartNamedAsync("cli");

        var exit = await Run("closed", "--url", server.Url.ToString(), "--connections", "4", "--duration", "1s", "--warmup", "300ms",
            "--max-failures", "0", "--max-p99-ms", "1000", "--results", _results);

        Assert.Equal(LoadTestCommand.Ok, exit);
        Assert.Contains("requests/s", _stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("PASS max-failures: 0 (limit <= 0)", _stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("[warm-up", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("[measured", _stderr.ToString(), StringComparison.Ordinal);
        AssertReportsWritten(expectHosts: null);
    }

    [Fact]
    public async Task RunAsync_OpenScenario_WritesReportsWithTheTargetRate()
    {
        await using var server = await TestServer.StartNamedAsync("cli-open");

        var exit = await Run("open", "--url", server.Url.ToString(), "--rate", "150", "--connections", "4", "--duration", "1s",
            "--warmup", "0", "--quiet", "--results", _results);

        Assert.Equal(LoadTestCommand.Ok, exit);
        Assert.Equal(string.Empty, _stderr.ToString());
        var report = AssertReportsWritten(expectHosts: null);
        Assert.Equal(150, report.GetProperty("targetRequestsPerSecond").GetDouble());
        Assert.Equal(150, report.GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task RunAsync_HostnameRotation_ReportsThreeReplicasAndPassesItsChecks()
    {
        await using var proxy = await RoundRobinProxy.StartAsync("replica-1", "replica-2", "replica-3");

        var exit = await Run("hostname-rotation", "--url", proxy.Url.ToString(), "--connections", "6", "--duration", "1s",
            "--warmup", "300ms", "--expect-hosts", "3", "--max-imbalance", "0.1", "--max-failures", "0", "--results", _results);

        Assert.Equal(LoadTestCommand.Ok, exit);
        Assert.Contains("host replica-2", _stdout.ToString(), StringComparison.Ordinal);
        AssertReportsWritten(expectHosts: 3);
    }

    [Fact]
    public async Task RunAsync_ThresholdBreached_NamesItAndExitsTwo()
    {
        await using var server = await TestServer.StartNamedAsync("too-slow-for-you");

        var exit = await Run("closed", "--url", server.Url.ToString(), "--connections", "2", "--duration", "500ms", "--warmup", "0",
            "--min-rps", "100000000", "--quiet", "--results", _results);

        Assert.Equal(LoadTestCommand.ThresholdBreached, exit);
        Assert.Contains("threshold breached: FAIL min-rps", _stderr.ToString(), StringComparison.Ordinal);
        Assert.False(JsonDocument.Parse(File.ReadAllText(Path.Combine(_results, ReportFiles.JsonFileName))).RootElement.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task RunAsync_UnknownScenario_PrintsUsageErrorAndExitsOne()
    {
        var exit = await Run("soak", "--url", "http://127.0.0.1:1/");

        Assert.Equal(LoadTestCommand.BadUsage, exit);
        Assert.Contains("error: unknown scenario 'soak'; choose one of: closed, open, hostname-rotation.", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(string.Empty, _stdout.ToString());
    }

    [Fact]
    public async Task RunAsync_NonNumericRate_PrintsUsageErrorAndExitsOne()
    {
        var exit = await Run("open", "--url", "http://127.0.0.1:1/", "--rate", "lots");

        Assert.Equal(LoadTestCommand.BadUsage, exit);
        Assert.Contains("error: --rate: 'lots' is not a number.", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_RemoteTarget_RefusesAndExitsOne()
    {
        var exit = await Run("closed", "--url", "http://203.0.113.9/");

        Assert.Equal(LoadTestCommand.BadUsage, exit);
        Assert.Contains("Refusing to load '203.0.113.9'", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ConfigBuild_PublishesIntoARealGatewayAndPrintsEveryStep()
    {
        var exit = await Run("config-build", "--services", "12", "--tasks", "2", "--iterations", "2");

        Assert.Equal(LoadTestCommand.Ok, exit);
        Assert.Contains("config-build: 12 services x 2 tasks -> 12 routes, 12 clusters, 12 routed", _stderr.ToString(), StringComparison.Ordinal);
        var table = _stdout.ToString();
        Assert.Contains("### Config build: 12 services x 2 tasks, host and path rules (12 routes, 12 clusters, 24 destinations)", table, StringComparison.Ordinal);
        foreach (var step in new[] { "`RouteTableBuilder.Build`, warm", "first publish into an empty gateway", "one task replaced", "one service deployed" })
        {
            Assert.Contains(step, table, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("NaN", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ConfigBuildOutOfRange_PrintsUsageErrorAndExitsOne()
    {
        var exit = await Run("config-build", "--services", "0");

        Assert.Equal(LoadTestCommand.BadUsage, exit);
        Assert.Contains("error: --services: '0' must be a whole number from 1 to 20000.", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(string.Empty, _stdout.ToString());
    }

    [Fact]
    public async Task RunAsync_Help_PrintsUsageAndExitsZero()
    {
        var exit = await Run("--help");

        Assert.Equal(LoadTestCommand.Ok, exit);
        Assert.Contains("hostname-rotation", _stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("--max-p99-ms", _stdout.ToString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_results))
        {
            Directory.Delete(_results, recursive: true);
        }
    }

    private Task<int> Run(params string[] args) => LoadTestCommand.RunAsync(args, _stdout, _stderr, stderrIsTerminal: false, CancellationToken.None);

    private JsonElement AssertReportsWritten(int? expectHosts)
    {
        var svg = XDocument.Parse(File.ReadAllText(Path.Combine(_results, ReportFiles.PlotFileName)));
        Assert.Equal("svg", svg.Root!.Name.LocalName);
        Assert.Contains("## Timeline", File.ReadAllText(Path.Combine(_results, ReportFiles.MarkdownFileName)), StringComparison.Ordinal);

        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(_results, ReportFiles.JsonFileName))).RootElement.GetProperty("report").Clone();
        Assert.True(report.GetProperty("responses").GetInt64() > 0);
        Assert.Equal(0, report.GetProperty("failures").GetInt64());
        if (expectHosts is { } hosts)
        {
            Assert.Equal(hosts, report.GetProperty("hostNames").EnumerateObject().Count());
        }

        return report;
    }
}
