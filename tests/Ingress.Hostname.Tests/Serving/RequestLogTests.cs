using System.Text;
using Ingress.Hostname.Serving;
using Ingress.Hostname.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Hostname.Tests.Serving;

public sealed class RequestLogTests
{
    [Fact]
    public async Task Record_LogRequestsDefault_WritesOneLinePerServedRequest()
    {
        var output = new StringWriter();
        await using var server = await InProcessHostname.StartAsync(["--Hostname:Name=replica-1"], output);

        for (var i = 0; i < 5; i++)
        {
            await server.Client.GetStringAsync($"/request/{i}");
        }

        // Neither health probes nor rejected requests are served requests.
        await server.Client.GetAsync("/healthz");
        await server.Client.GetAsync("/?delay=junk");
        await server.StopAsync();

        Assert.Equal(string.Concat(Enumerable.Repeat("replica-1\n", 5)), output.ToString());
    }

    [Fact]
    public async Task Record_LogRequestsFalse_WritesNothing()
    {
        var output = new StringWriter();
        await using var server = await InProcessHostname.StartAsync(["--Hostname:Name=replica-1", "--Hostname:LogRequests=false"], output);

        for (var i = 0; i < 5; i++)
        {
            await server.Client.GetStringAsync("/");
        }

        await server.StopAsync();

        Assert.Equal(string.Empty, output.ToString());
    }

    [Fact]
    public async Task StopAsync_AfterConcurrentRecords_FlushesEveryLine()
    {
        var output = new StringWriter();
        using var log = new RequestLog(output, "x\n", TimeProvider.System, NullLogger<RequestLog>.Instance);
        await log.StartAsync(CancellationToken.None);

        Parallel.For(0, 10_000, _ => log.Record());
        await log.StopAsync(CancellationToken.None);

        Assert.Equal(10_000 * 2, output.ToString().Length);
    }

    [Fact]
    public async Task StopAsync_RightAfterStart_FlushesEveryLine()
    {
        var output = new StringWriter();
        using var log = new RequestLog(output, "x\n", TimeProvider.System, NullLogger<RequestLog>.Instance);
        await log.StartAsync(CancellationToken.None);

        log.Record();
        await log.StopAsync(CancellationToken.None);

        Assert.Equal("x\n", output.ToString());
    }

    [Fact]
    public async Task Record_OutputFailedOnce_LaterLinesStillWritten()
    {
        var output = new FailingOnceWriter();
        using var log = new RequestLog(output, "x\n", TimeProvider.System, NullLogger<RequestLog>.Instance);
        await log.StartAsync(CancellationToken.None);

        log.Record();
        await output.Failed.WaitAsync(TimeSpan.FromSeconds(10));
        log.Record();
        await log.StopAsync(CancellationToken.None);

        Assert.Equal("x\n", output.Written.ToString());
    }

    /// <summary>A stdout that breaks once (say, a full disk) and then recovers.</summary>
    private sealed class FailingOnceWriter : TextWriter
    {
        private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public Task Failed => _failed.Task;

        public StringBuilder Written { get; } = new();

        public override void Write(string? value)
        {
            if (_failed.TrySetResult())
            {
                throw new IOException("No space left on device");
            }

            Written.Append(value);
        }
    }
}
