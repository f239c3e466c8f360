using System.Text.RegularExpressions;
using Ingress.Swarm.Tests.Common;

namespace Ingress.Swarm.Tests.Discovery;

[Collection(SwarmCollection.Name)]
public sealed partial class OutageTests(SwarmFixture swarm)
{
    private const int EntryPort = 18890;
    private const int AdminPort = 18891;

    [Fact]
    public async Task DockerApiUnreachable_GatewayKeepsServingLastKnownRoutes_AndSaysSo()
    {
        // The test gateway reaches the Docker API only through a socket proxy this test owns, so the test can cut it.
        var directory = Path.Combine("/run", "ingress-test-outage");
        Directory.CreateDirectory(directory);
        await using var proxy = UnixSocketProxy.Start(Path.Combine(directory, "docker.sock"), "/var/run/docker.sock");
        await using var gateway = await TestService.CreateAsync(
            "ingress-test-outage-gateway",
            swarm.GatewayImage,
            "--user", "root",
            "--publish", $"mode=host,published={EntryPort},target=8888",
            "--publish", $"mode=host,published={AdminPort},target=8080",
            "--mount", $"type=bind,source={directory},target=/run/docker-proxy",
            "--env", "DOCKER_HOST=unix:///run/docker-proxy/docker.sock",
            "--env", "Ingress__Discovery__Docker__Enabled=true");
        using var entry = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{EntryPort}/"), Timeout = TimeSpan.FromSeconds(10) };
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{AdminPort}/"), Timeout = TimeSpan.FromSeconds(10) };
        await SwarmFixture.WaitForRotationAsync(entry, TimeSpan.FromSeconds(90));

        await proxy.CutAsync();
        await Eventually.WaitAsync(() => admin.GetStringAsync("/readyz"), body => body.Contains("\"state\":\"failing\"", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "readyz to report the docker source failing");

        var names = await SwarmFixture.GetManyAsync(entry, 30);
        Assert.Equal(3, names.Distinct().Count());
        Assert.All(names.GroupBy(n => n), g => Assert.Equal(10, g.Count()));
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Matches(DiscoveryErrors(), metrics);
        Assert.Contains("ingress_discovery_source_up{source=\"docker\"} 0", metrics);

        proxy.Restore();
        await Eventually.WaitAsync(() => admin.GetStringAsync("/readyz"), body => body.Contains("\"state\":\"up\"", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the docker source to recover");
    }

    [GeneratedRegex("ingress_discovery_errors_total\\{source=\"docker\"\\} [1-9]")]
    private static partial Regex DiscoveryErrors();
}
