using Ingress.Gateway.Discovery.Docker;
using Ingress.Swarm.Tests.Common;

namespace Ingress.Swarm.Tests.Discovery;

/// <summary>
/// <see cref="SwarmLeadership"/> against the real engine: which manager gateway orders ACME certificates. Here the
/// swarm has one node, a manager and so the leader, as <c>docker node inspect</c> says.
/// </summary>
[Collection(SwarmCollection.Name)]
public sealed class SwarmLeadershipTests(SwarmFixture swarm)
{
    [Fact]
    public async Task IsLeaderAsync_OnTheLeadersEngine_IsTrue_AsTheCliSays()
    {
        Assert.NotEmpty(swarm.GatewayImage);
        var cli = (await Shell.DockerAsync("node", "inspect", "self", "--format", "{{.ManagerStatus.Leader}}")).Trim();
        using var docker = DockerClientFactory.Create(new DockerDiscoveryOptions());

        var leader = await new SwarmLeadership(docker).IsLeaderAsync(CancellationToken.None);

        Assert.Equal("true", cli);
        Assert.True(leader);
    }
}
