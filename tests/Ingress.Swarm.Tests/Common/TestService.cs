namespace Ingress.Swarm.Tests.Common;

/// <summary>An extra swarm service a test creates on the stack's network and always removes.</summary>
internal sealed class TestService : IAsyncDisposable
{
    private TestService(string name) => Name = name;

    public string Name { get; }

    public static async Task<TestService> CreateAsync(string name, string image, params string[] options)
    {
        await RemoveIfPresentAsync(name);
        await Shell.DockerAsync(["service", "create", "--detach", "--name", name, "--network", SwarmFixture.Network, .. options, image]);
        return new TestService(name);
    }

    public async ValueTask DisposeAsync() => await RemoveIfPresentAsync(Name);

    private static async Task RemoveIfPresentAsync(string name)
    {
        var existing = await Shell.TryRunAsync(Shell.Docker, ["service", "inspect", name], TimeSpan.FromSeconds(30));
        if (existing.ExitCode != 0)
        {
            return;
        }

        await Shell.DockerAsync("service", "rm", name);
        // Host-mode ports stay bound until the task's container is gone.
        await Eventually.WaitAsync(
            () => Shell.DockerAsync("ps", "-aq", "--filter", $"label=com.docker.swarm.service.name={name}"),
            output => output.Trim().Length == 0,
            TimeSpan.FromSeconds(60),
            $"the containers of {name} to be removed");
    }
}
