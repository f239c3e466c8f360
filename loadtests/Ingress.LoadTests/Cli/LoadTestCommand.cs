using Ingress.LoadTests.Reporting;
using Ingress.LoadTests.Running;
using Ingress.LoadTests.Thresholds;

namespace Ingress.LoadTests.Cli;

/// <summary>The program: parse, run, print, write reports, judge thresholds, pick the exit code.</summary>
internal static class LoadTestCommand
{
    public const int Ok = 0;
    public const int BadUsage = 1;
    public const int ThresholdBreached = 2;
    public const int Cancelled = 130;

    /// <param name="args">Arguments after the program name.</param>
    /// <param name="stdout">Receives the final table and the report paths.</param>
    /// <param name="stderr">Receives progress, errors and breached thresholds.</param>
    /// <param name="stderrIsTerminal">Rewrites the progress line in place rather than printing one per second.</param>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, bool stderrIsTerminal, CancellationToken cancellationToken)
    {
        if (args.Count > 0 && args[0] == ConfigBuild.ConfigBuildCommand.Name)
        {
            return await ConfigBuild.ConfigBuildCommand.RunAsync([.. args.Skip(1)], stdout, stderr, cancellationToken).ConfigureAwait(false);
        }

        CommandLine commandLine;
        try
        {
            commandLine = CommandLineParser.Parse(args, DateTimeOffset.UtcNow);
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            await stderr.WriteLineAsync("run with --help for usage.").ConfigureAwait(false);
            return BadUsage;
        }

        if (commandLine.ShowHelp)
        {
            await stdout.WriteAsync(Usage.Text).ConfigureAwait(false);
            return Ok;
        }

        var progress = commandLine.Quiet ? null : new ProgressPrinter(stderr, stderrIsTerminal);
        var options = commandLine.Options! with { OnInterval = progress is null ? null : progress.Write };
        LoadReport report;
        try
        {
            report = await LoadRunner.RunAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            progress?.Complete();
            await stderr.WriteLineAsync("cancelled; no report written.").ConfigureAwait(false);
            return Cancelled;
        }

        progress?.Complete();
        var results = ThresholdEvaluator.Evaluate(report, commandLine.Thresholds!);
        var passed = ThresholdEvaluator.AllPassed(results);
        await stdout.WriteAsync(ConsoleSummary.Render(report, results)).ConfigureAwait(false);

        var document = new ReportDocument(CommandText(args), report, results, passed);
        var paths = await ReportFiles.WriteAsync(commandLine.ResultsDirectory!, document, cancellationToken).ConfigureAwait(false);
        await stdout.WriteLineAsync($"reports: {paths.Markdown}, {paths.Json}, {paths.Plot}").ConfigureAwait(false);

        if (passed)
        {
            return Ok;
        }

        foreach (var result in results)
        {
            if (!result.Passed)
            {
                await stderr.WriteLineAsync($"threshold breached: {result}").ConfigureAwait(false);
            }
        }

        return ThresholdBreached;
    }

    private static string CommandText(IReadOnlyList<string> args)
    {
        var quoted = new string[args.Count];
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            quoted[i] = arg.Length > 0 && arg.AsSpan().IndexOfAny(" \"'*?{}$") < 0 ? arg : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        }

        return "Ingress.LoadTests " + string.Join(' ', quoted);
    }
}
