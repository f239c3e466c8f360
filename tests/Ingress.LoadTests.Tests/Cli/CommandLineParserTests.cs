using Ingress.LoadTests.Cli;
using Ingress.LoadTests.Running;

namespace Ingress.LoadTests.Tests.Cli;

public sealed class CommandLineParserTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 4, 5, 6, 7, TimeSpan.Zero);

    [Fact]
    public void Parse_FullClosedCommand_MapsEveryOption()
    {
        var line = Parse("closed", "--url", "http://127.0.0.1:8888/", "--connections", "64", "--duration", "10s", "--warmup=2s",
            "--max-requests", "5000", "--timeout", "750ms", "--keep-alive", "off", "--max-failures", "0", "--min-rps", "1000.5",
            "--max-p99-ms", "25", "--results", "out/here", "--quiet");

        var options = line.Options!;
        Assert.Equal("closed", options.Scenario);
        Assert.Equal(new Uri("http://127.0.0.1:8888/"), options.Target);
        Assert.Equal(LoadModel.Closed, options.Model);
        Assert.Equal(64, options.Connections);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Duration);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Warmup);
        Assert.Equal(5000, options.MaxRequests);
        Assert.Equal(TimeSpan.FromMilliseconds(750), options.RequestTimeout);
        Assert.False(options.KeepAlive);
        Assert.False(options.TrackHostNames);
        Assert.Equal(0, line.Thresholds!.MaxFailures);
        Assert.Equal(1000.5, line.Thresholds.MinRequestsPerSecond);
        Assert.Equal(25, line.Thresholds.MaxP99Ms);
        Assert.Equal("out/here", line.ResultsDirectory);
        Assert.True(line.Quiet);
    }

    [Fact]
    public void Parse_MinimalCommand_UsesDefaultsAndATimestampedResultsFolder()
    {
        var line = Parse("closed", "--url", "http://localhost:8080/");

        Assert.Equal(32, line.Options!.Connections);
        Assert.Equal(TimeSpan.FromSeconds(10), line.Options.Duration);
        Assert.True(line.Options.KeepAlive);
        Assert.Equal(LoadThresholdsNone, line.Thresholds);
        Assert.Equal(Path.Combine("results", "closed-20250304-050607"), line.ResultsDirectory);
    }

    [Fact]
    public void Parse_OpenWithRate_UsesTheOpenModel()
    {
        var options = Parse("open", "--url", "http://127.0.0.1:1/", "--rate", "2500").Options!;

        Assert.Equal(LoadModel.Open, options.Model);
        Assert.Equal(2500, options.RequestsPerSecond);
    }

    [Fact]
    public void Parse_HostnameRotation_TracksHostNamesAndTakesRotationThresholds()
    {
        var line = Parse("hostname-rotation", "--url", "http://127.0.0.1:1/", "--expect-hosts", "3", "--max-imbalance", "0.1");

        Assert.True(line.Options!.TrackHostNames);
        Assert.Equal(LoadModel.Closed, line.Options.Model);
        Assert.Equal(3, line.Thresholds!.ExpectHosts);
        Assert.Equal(0.1, line.Thresholds.MaxHostImbalance);
    }

    [Fact]
    public void Parse_HostnameRotationWithRate_UsesTheOpenModel() =>
        Assert.Equal(LoadModel.Open, Parse("hostname-rotation", "--url", "http://127.0.0.1:1/", "--rate", "100").Options!.Model);

    [Fact]
    public void Parse_AllowHostRepeated_AllowsEachHost()
    {
        var options = Parse("closed", "--url", "http://ingress:8080/", "--allow-host", "other", "--allow-host", "ingress").Options!;

        Assert.Equal(["other", "ingress"], options.AllowedHosts);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public void Parse_HelpFirst_ShowsHelp(string arg) => Assert.True(Parse(arg).ShowHelp);

    [Fact]
    public void Parse_HelpAfterScenario_ShowsHelp() => Assert.True(Parse("closed", "--help").ShowHelp);

    [Theory]
    [InlineData("unknown scenario 'soak'", "soak", "--url", "http://127.0.0.1/")]
    [InlineData("missing scenario")]
    [InlineData("the scenario comes first", "--url", "http://127.0.0.1/")]
    [InlineData("--rate: 'fast' is not a number", "open", "--url", "http://127.0.0.1/", "--rate", "fast")]
    [InlineData("--connections: 'many' is not a whole number", "closed", "--url", "http://127.0.0.1/", "--connections", "many")]
    [InlineData("--connections: '0' is not a whole number", "closed", "--url", "http://127.0.0.1/", "--connections", "0")]
    [InlineData("--duration: '10x' is not a duration", "closed", "--url", "http://127.0.0.1/", "--duration", "10x")]
    [InlineData("--max-failures: '-1' is not a whole number", "closed", "--url", "http://127.0.0.1/", "--max-failures", "-1")]
    [InlineData("--url is required", "closed")]
    [InlineData("--url: 'ftp://127.0.0.1/' is not an absolute http", "closed", "--url", "ftp://127.0.0.1/")]
    [InlineData("--url: '127.0.0.1:80' is not an absolute http", "closed", "--url", "127.0.0.1:80")]
    [InlineData("scenario 'open' needs --rate", "open", "--url", "http://127.0.0.1/")]
    [InlineData("--rate does not apply to scenario 'closed'", "closed", "--url", "http://127.0.0.1/", "--rate", "5")]
    [InlineData("unknown option --conections", "closed", "--url", "http://127.0.0.1/", "--conections", "5")]
    [InlineData("--duration needs a value", "closed", "--url", "http://127.0.0.1/", "--duration")]
    [InlineData("--duration needs a value", "closed", "--duration", "--url", "http://127.0.0.1/")]
    [InlineData("--url was given twice", "closed", "--url", "http://127.0.0.1/", "--url", "http://127.0.0.2/")]
    [InlineData("unexpected argument 'extra'", "closed", "--url", "http://127.0.0.1/", "extra")]
    [InlineData("--keep-alive: 'maybe' must be on or off", "closed", "--url", "http://127.0.0.1/", "--keep-alive", "maybe")]
    [InlineData("--quiet takes no value", "closed", "--url", "http://127.0.0.1/", "--quiet=yes")]
    [InlineData("need host names", "closed", "--url", "http://127.0.0.1/", "--expect-hosts", "3")]
    [InlineData("Duration must be above zero and at most", "closed", "--url", "http://127.0.0.1/", "--duration", "11m")]
    [InlineData("Duration must be above zero and at most", "closed", "--url", "http://127.0.0.1/", "--duration", "0")]
    [InlineData("Warmup must be between zero and", "closed", "--url", "http://127.0.0.1/", "--warmup", "2m")]
    [InlineData("Connections must be between 1 and", "closed", "--url", "http://127.0.0.1/", "--connections", "100000")]
    [InlineData("RequestsPerSecond must be above 0", "open", "--url", "http://127.0.0.1/", "--rate", "0")]
    [InlineData("Refusing to load '10.1.2.3'", "closed", "--url", "http://10.1.2.3/")]
    [InlineData("Refusing to load 'example.com'", "closed", "--url", "http://example.com/", "--allow-host", "example.org")]
    public void Parse_BadArguments_ThrowsUsageErrorNamingTheProblem(string expectedMessage, params string[] args)
    {
        var error = Assert.Throws<UsageException>(() => Parse(args));

        Assert.Contains(expectedMessage, error.Message, StringComparison.Ordinal);
    }

    private static readonly Ingress.LoadTests.Thresholds.LoadThresholds LoadThresholdsNone = Ingress.LoadTests.Thresholds.LoadThresholds.None;

    private static CommandLine Parse(params string[] args) => CommandLineParser.Parse(args, Now);
}
