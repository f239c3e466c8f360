using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Ingress.Observability.Tests.Common;

/// <summary>
/// The real Prometheus from apt (<c>/usr/bin/prometheus</c>), on a free loopback port with a throw-away config and
/// TSDB, scraping one target every second.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _log = new();

    private PrometheusServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public HttpClient Api { get; }

    /// <summary>What Prometheus logged so far, for failure messages.</summary>
    public string Log
    {
        get { lock (_log) { return _log.ToString(); } }
    }

    public static async Task<PrometheusServer> StartAsync(string job, string target, TimeSpan timeout)
    {
        var executable = RequiredTool.Find("/usr/bin/prometheus", "prometheus");
        var directory = Directory.CreateTempSubdirectory("ingress-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: {job}
                static_configs:
                  - targets: ["{target}"]
            """);
        var port = FreePort.Next();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList =
            {
                $"--config.file={config}",
                $"--storage.tsdb.path={Path.Combine(directory, "data")}",
                $"--web.listen-address=127.0.0.1:{port}",
                "--web.enable-lifecycle",
            },
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start.");
        var server = new PrometheusServer(process, directory, port);
        process.OutputDataReceived += (_, line) => server.Append(line.Data);
        process.ErrorDataReceived += (_, line) => server.Append(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync(timeout);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Runs an instant query; returns the <c>data</c> element, or throws with Prometheus' error.</summary>
    public async Task<JsonElement> QueryAsync(string promql)
    {
        using var response = await Api.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(promql));
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus rejected '{promql}': {body}");
        }

        return root.GetProperty("data").Clone();
    }

    /// <summary>Repeats <paramref name="promql"/> until <paramref name="accept"/> holds for its result vector; returns that result.</summary>
    public async Task<JsonElement> QueryUntilAsync(string promql, Func<JsonElement, bool> accept, TimeSpan timeout)
    {
        try
        {
            return await Eventually.WaitAsync(async () => (await QueryAsync(promql)).GetProperty("result"), accept, timeout, $"'{promql}' to return what the test expects", TimeSpan.FromMilliseconds(250));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\nPrometheus log:\n{Log}", ex);
        }
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        // Not listening yet is an HttpRequestException, which Eventually retries; an exit ends the wait at once.
        (bool Exited, bool Ready) state;
        try
        {
            state = await Eventually.WaitAsync(
                async () =>
                {
                    if (_process.HasExited)
                    {
                        return (Exited: true, Ready: false);
                    }

                    using var response = await Api.GetAsync("-/ready");
                    return (Exited: false, Ready: response.IsSuccessStatusCode);
                },
                s => s.Exited || s.Ready,
                timeout,
                "prometheus to be ready",
                TimeSpan.FromMilliseconds(200));
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\nPrometheus log:\n{Log}", ex);
        }

        if (state.Exited)
        {
            throw new InvalidOperationException($"prometheus exited with code {_process.ExitCode}:\n{Log}");
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A clean shutdown through the lifecycle API; killed (this process only) if it does not stop in time.
        try
        {
            using var quit = await Api.PostAsync("-/quit", null);
        }
        catch (HttpRequestException)
        {
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Api.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
