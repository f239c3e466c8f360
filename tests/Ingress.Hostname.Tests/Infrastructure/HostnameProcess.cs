using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using Ingress.Testing;

namespace Ingress.Hostname.Tests.Infrastructure;

/// <summary>The built application as a real child process, on a free loopback port, so that it can be sent real signals.</summary>
internal sealed class HostnameProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    private HostnameProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    /// <summary>The service's address, or a free port nobody listens on when the process failed to start.</summary>
    public Uri BaseAddress { get; }

    /// <summary>What the service printed on stdout so far: one host name per served request.</summary>
    public IReadOnlyList<string> StandardOutputLines => [.. _stdout];

    public string StandardError => string.Join('\n', _stderr);

    /// <summary>The application's entry assembly, copied next to the tests by the project reference.</summary>
    public static string ApplicationPath => Path.Combine(AppContext.BaseDirectory, "Ingress.Hostname.dll");

    public static HostnameProcess Start(params string[] settings)
    {
        var port = FreePort.Next();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");

        // The same dotnet host that runs the tests: `dotnet test` sets DOTNET_HOST_PATH.
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath : "dotnet";
        var startInfo = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(ApplicationPath);
        startInfo.ArgumentList.Add("--urls");
        startInfo.ArgumentList.Add(baseAddress.ToString());
        foreach (var setting in settings)
        {
            startInfo.ArgumentList.Add(setting);
        }

        var process = new Process { StartInfo = startInfo };
        var result = new HostnameProcess(process, baseAddress);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) result._stdout.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) result._stderr.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(15) };

    /// <summary>Polls <c>/healthz</c> until it answers 200.</summary>
    public async Task WaitUntilServingAsync(HttpClient client, TimeSpan timeout)
    {
        try
        {
            // Not listening yet is an HttpRequestException, which Eventually retries; an exit fails at once.
            await Eventually.WaitAsync(
                async () =>
                {
                    Assert.False(_process.HasExited, $"The service exited early with code {(_process.HasExited ? _process.ExitCode : 0)}:\n{StandardError}");
                    using var response = await client.GetAsync("/healthz");
                    return response.StatusCode == HttpStatusCode.OK;
                },
                timeout,
                "the service to answer /healthz with 200",
                TimeSpan.FromMilliseconds(50));
        }
        catch (TimeoutException ex)
        {
            Assert.Fail($"{ex.Message}\n{StandardError}");
        }
    }

    /// <summary>Sends SIGTERM, as Docker does when it stops a task.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>Waits for the process to exit and for its output to be read to the end.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The service did not exit within {timeout}:\n{StandardError}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(deadline.Token);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }
        finally
        {
            _process.Dispose();
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
