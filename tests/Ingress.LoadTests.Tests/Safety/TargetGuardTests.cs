using Ingress.LoadTests.Safety;

namespace Ingress.LoadTests.Tests.Safety;

public sealed class TargetGuardTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/")]
    [InlineData("http://127.45.6.7/")]
    [InlineData("https://127.0.0.1/")]
    [InlineData("http://[::1]:8080/")]
    [InlineData("http://[::ffff:127.0.0.1]:8080/")]
    [InlineData("http://localhost:5000/path")]
    [InlineData("http://LOCALHOST/")]
    public void Check_Loopback_IsAllowed(string url) =>
        Assert.Null(TargetGuard.Check(new Uri(url), []));

    [Theory]
    [InlineData("http://10.0.0.1/")]
    [InlineData("http://192.168.1.10:8080/")]
    [InlineData("http://example.com/")]
    [InlineData("http://[::2]/")]
    [InlineData("http://127.0.0.1.nip.io/")]
    [InlineData("http://localhost.example.com/")]
    [InlineData("http://0.0.0.0/")]
    public void Check_AnythingElse_IsRefusedWithAHint(string url)
    {
        var problem = TargetGuard.Check(new Uri(url), []);

        Assert.NotNull(problem);
        Assert.Contains("--allow-host", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_HostListedInAllowHost_IsAllowedIgnoringCase() =>
        Assert.Null(TargetGuard.Check(new Uri("http://Ingress-Gateway:8080/"), ["ingress-gateway"]));

    [Fact]
    public void Check_AllowHostForAnotherHost_StillRefuses() =>
        Assert.NotNull(TargetGuard.Check(new Uri("http://10.0.0.2/"), ["10.0.0.1"]));

    [Fact]
    public void Check_BracketedIpv6AllowHost_MatchesTheUrlHost() =>
        Assert.Null(TargetGuard.Check(new Uri("http://[fd00::5]:80/"), ["fd00::5"]));
}
