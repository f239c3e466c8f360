using System.IO.MemoryMappedFiles;
using Ingress.Gateway.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Ingress.Gateway.Tests.Hosting;

public sealed class StartupMemoryReleaseTests
{
    [Fact]
    public async Task Release_RunsOnceItsDelayHasPassed_AndTakesTheFilesPagesOutOfTheResidentSet()
    {
        // A file of this test's own stands for the executable: the test host's pages are shared with every other test.
        using var file = new MappedTestFile(new byte[1024 * 1024], MemoryMappedFileAccess.Read);
        file.ReadAll();
        var time = new FakeTimeProvider();
        using var release = new StartupMemoryRelease(time, NullLogger<StartupMemoryRelease>.Instance, file.Path);
        await release.StartAsync(CancellationToken.None);

        time.Advance(StartupMemoryRelease.Delay - TimeSpan.FromSeconds(1));
        Assert.False(release.Released.IsCompleted, "released before its delay");
        Assert.True(file.Mapping.ResidentKb >= 1024);
        time.Advance(TimeSpan.FromSeconds(1));
        var (releasedKb, _, _) = await release.Released;

        Assert.True(releasedKb >= 1024, $"released {releasedKb} KiB");
        Assert.Equal(0, file.Mapping.ResidentKb);
        await release.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Release_StoppedBeforeItsDelay_ReleasesNothing()
    {
        var time = new FakeTimeProvider();
        using var release = new StartupMemoryRelease(time, NullLogger<StartupMemoryRelease>.Instance);
        await release.StartAsync(CancellationToken.None);

        await release.StopAsync(CancellationToken.None);
        time.Advance(StartupMemoryRelease.Delay);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => release.Released);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public async Task Gateway_RegistersTheRelease_UnlessTurnedOff(string? setting, bool registered)
    {
        // Built, not started: nothing listens on the port.
        string[] args = setting is null ? ["--Ingress:EntryPorts:0=8888"] : ["--Ingress:EntryPorts:0=8888", $"--Ingress:Memory:ReleaseAfterStart={setting}"];
        await using var app = GatewayApplication.Build(args, builder => builder.Logging.ClearProviders());

        Assert.Equal(registered, app.Services.GetServices<IHostedService>().OfType<StartupMemoryRelease>().Any());
    }
}
