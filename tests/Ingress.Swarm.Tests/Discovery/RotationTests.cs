using Ingress.Swarm.Tests.Common;

namespace Ingress.Swarm.Tests.Discovery;

[Collection(SwarmCollection.Name)]
public sealed class RotationTests(SwarmFixture swarm)
{
    [Fact]
    public async Task EntryPort_ThirtyRequests_ThreeContainerHostnamesTenEach()
    {
        await SwarmFixture.WaitForRotationAsync(swarm.Entry, TimeSpan.FromSeconds(60));

        var names = await SwarmFixture.GetManyAsync(swarm.Entry, 30);

        var expected = await SwarmFixture.RunningHostnamesAsync(SwarmFixture.HostnameService);
        Assert.Equal(3, expected.Count);
        Assert.True(names.ToHashSet().SetEquals(expected), $"saw {string.Join(",", names.Distinct())}, tasks are {string.Join(",", expected)}");
        Assert.All(names.GroupBy(n => n), g => Assert.Equal(10, g.Count()));
        for (var i = 3; i < names.Count; i++)
        {
            Assert.Equal(names[i - 3], names[i]);
        }
    }

    [Fact]
    public async Task AdminPort_ShowsDiscoveredServiceAndIsReady()
    {
        var ready = await swarm.Admin.GetAsync("/readyz");
        Assert.True(ready.IsSuccessStatusCode, await ready.Content.ReadAsStringAsync());

        var state = await swarm.Admin.GetStringAsync("/api/state");
        Assert.Contains($"\"name\":\"{SwarmFixture.HostnameService}\"", state);
        Assert.Contains("\"status\":\"routed\"", state);
    }
}
