using Ingress.Hostname.Configuration;
using Ingress.Hostname.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Ingress.Hostname.Tests.Configuration;

public sealed class HostnameConfigurationTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Build_SettingsOnCommandLine_ReachOptions()
    {
        // Guards against the AOT binding generator silently skipping a property (it ignores init-only ones).
        await using var app = HostnameApp.Build(
            ["--Hostname:Name=replica-1", "--Hostname:LogRequests=false", "--Hostname:DrainDelay=00:00:02"], TextWriter.Null);

        var options = app.Services.GetRequiredService<IOptions<HostnameOptions>>().Value;

        Assert.Equal("replica-1", options.Name);
        Assert.False(options.LogRequests);
        Assert.Equal(TimeSpan.FromSeconds(2), options.DrainDelay);
    }

    [Theory]
    [InlineData("--Hostname:DrainDelay=banana", "Hostname:DrainDelay")]
    [InlineData("--Hostname:DrainDelay=-00:00:01", "Hostname:DrainDelay")]
    [InlineData("--Hostname:LogRequests=maybe", "Hostname:LogRequests")]
    [InlineData("--Hostname:Name=", "Hostname:Name")]
    public void Build_InvalidSetting_ThrowsNamingKey(string setting, string key)
    {
        var exception = Assert.Throws<HostnameConfigurationException>(() => HostnameApp.Build([setting], TextWriter.Null));

        Assert.Contains(key, exception.Message);
    }

    [Fact]
    public async Task Main_UnparsableDrainDelay_ExitsNonZeroNamingKeyWithoutStackTrace()
    {
        await using var process = HostnameProcess.Start("--Hostname:DrainDelay=banana");

        var exitCode = await process.WaitForExitAsync(ExitTimeout);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Hostname:DrainDelay", process.StandardError);
        Assert.DoesNotContain("   at ", process.StandardError);
        Assert.Empty(process.StandardOutputLines);
    }
}
