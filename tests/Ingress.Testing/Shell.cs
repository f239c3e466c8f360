using System.Diagnostics;
using System.Text;

namespace Ingress.Testing;

/// <summary>Runs a real command (docker, the repo's scripts) with a bounded time, and fails with its output.</summary>
public static class Shell
{
    /// <summary>Debian's docker client when present (its BuildKit needs no buildx), else whatever is on PATH.</summary>
    public static string Docker { get; } = File.Exists("/usr/bin/docker") ? "/usr/bin/docker" : "docker";

    public static Task<string> DockerAsync(params string[] args) => RunAsync(Docker, args, TimeSpan.FromMinutes(2));

    public static async Task<string> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var result = await TryRunAsync(file, args, timeout, environment);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {result.ExitCode}:{Environment.NewLine}{result.Output}");
        }

        return result.StandardOutput;
    }

    /// <summary>
    /// Runs <paramref name="file"/> to its end: its exit code, its stdout, and stdout and stderr interleaved as printed.
    /// <paramref name="standardInput"/>, when given, is written to its stdin, which is then closed.
    /// </summary>
    public static async Task<(int ExitCode, string StandardOutput, string Output)> TryRunAsync(string file, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? environment = null, string? standardInput = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = standardInput is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = new StringBuilder();
        var all = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (all) { stdout.AppendLine(e.Data); all.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (all) { all.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput.AsMemory(), cts.Token);
                process.StandardInput.Close();
            }

            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}:{Environment.NewLine}{all}");
        }

        process.WaitForExit();
        lock (all)
        {
            return (process.ExitCode, stdout.ToString(), all.ToString());
        }
    }
}
