using System.Net;
using Ingress.Swarm.Tests.Common;

namespace Ingress.Swarm.Tests.Discovery;

[Collection(SwarmCollection.Name)]
public sealed class LabelTests(SwarmFixture swarm)
{
    private const string Host = "labels.test";

    [Fact]
    public async Task LabelUpdates_ChangeRouting_AndInvalidLabelsSkipOnlyThatService()
    {
        await using var service = await TestService.CreateAsync(
            "ingress-test-labels",
            swarm.HostnameImage,
            "--endpoint-mode", "dnsrr",
            "--env", "Hostname__Name=labels-svc",
            "--env", "Hostname__LogRequests=false",
            "--label", $"ingress.host={Host}",
            "--label", "ingress.port=8888");

        // A host rule on the default entry port takes the host away from the port mapping.
        await Eventually.WaitAsync(() => GetAsync("/anything", Host), body => body == "labels-svc", TimeSpan.FromSeconds(90), "the host rule to route");
        Assert.NotEqual("labels-svc", await GetAsync("/anything", "other.test"));

        // Narrowing the rule with a path label moves the rest of the host back to the port mapping.
        await Shell.DockerAsync("service", "update", "--detach", "--label-add", "ingress.path=/only", service.Name);
        await Eventually.WaitAsync(() => GetAsync("/anything", Host), body => body != "labels-svc", TimeSpan.FromSeconds(15), "the path rule to apply");
        Assert.Equal("labels-svc", await GetAsync("/only/x", Host));

        // An invalid label skips this service only: it is reported, and the stack's service keeps rotating.
        await Shell.DockerAsync("service", "update", "--detach", "--label-add", "ingress.lb=fastest", service.Name);
        await Eventually.WaitAsync(() => GetAsync("/only/x", Host), body => body != "labels-svc", TimeSpan.FromSeconds(15), "the invalid service to be skipped");
        var state = await swarm.Admin.GetStringAsync("/api/state");
        Assert.Contains("ingress.lb=fastest", state);
        Assert.Contains("\"status\":\"invalid\"", state);
        Assert.Contains("ingress_invalid_services 1", await swarm.Admin.GetStringAsync("/metrics"));
        await SwarmFixture.WaitForRotationAsync(swarm.Entry, TimeSpan.FromSeconds(10));

        // Fixing the label brings it back.
        await Shell.DockerAsync("service", "update", "--detach", "--label-add", "ingress.lb=round_robin", service.Name);
        await Eventually.WaitAsync(() => GetAsync("/only/x", Host), body => body == "labels-svc", TimeSpan.FromSeconds(15), "the fixed service to route again");
    }

    private async Task<string> GetAsync(string path, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = host;
        using var response = await swarm.Entry.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.OK ? body : $"HTTP {(int)response.StatusCode}";
    }
}
