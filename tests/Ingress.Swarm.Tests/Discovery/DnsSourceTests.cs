using Ingress.Swarm.Tests.Common;

namespace Ingress.Swarm.Tests.Discovery;

[Collection(SwarmCollection.Name)]
public sealed class DnsSourceTests(SwarmFixture swarm)
{
    private const int EntryPort = 18892;
    private const int AdminPort = 18893;

    [Fact]
    public async Task DnsOnlyGateway_WithoutSocket_RotatesLikeTheApiGateway()
    {
        await using var gateway = await TestService.CreateAsync(
            "ingress-test-dns-gateway",
            swarm.GatewayImage,
            "--publish", $"mode=host,published={EntryPort},target=8888",
            "--publish", $"mode=host,published={AdminPort},target=8080",
            "--env", "Ingress__Discovery__Dns__Enabled=true",
            "--env", "Ingress__Discovery__Dns__Services__0__Name=hostname",
            "--env", "Ingress__Discovery__Dns__Services__0__Publish=8888:8888");
        using var entry = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{EntryPort}/"), Timeout = TimeSpan.FromSeconds(10) };
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{AdminPort}/"), Timeout = TimeSpan.FromSeconds(10) };

        await SwarmFixture.WaitForRotationAsync(entry, TimeSpan.FromSeconds(90));
        var names = await SwarmFixture.GetManyAsync(entry, 30);

        var expected = await SwarmFixture.RunningHostnamesAsync(SwarmFixture.HostnameService);
        Assert.True(names.ToHashSet().SetEquals(expected), $"saw {string.Join(",", names.Distinct())}, tasks are {string.Join(",", expected)}");
        Assert.All(names.GroupBy(n => n), g => Assert.Equal(10, g.Count()));
        var mounts = await Shell.DockerAsync("service", "inspect", gateway.Name, "--format", "{{json .Spec.TaskTemplate.ContainerSpec.Mounts}}");
        Assert.DoesNotContain("docker.sock", mounts);
        var state = await admin.GetStringAsync("/api/state");
        Assert.Contains("\"source\":\"dns\"", state);
    }
}
