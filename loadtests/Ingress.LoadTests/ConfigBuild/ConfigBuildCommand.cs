using System.Globalization;
using Ingress.LoadTests.Cli;

namespace Ingress.LoadTests.ConfigBuild;

/// <summary><c>config-build [--services N] [--tasks N] [--iterations N]</c>: times the gateway's config build and apply.</summary>
internal static class ConfigBuildCommand
{
    public const string Name = "config-build";

    public const string UsageText = """
        usage: Ingress.LoadTests config-build [--services N] [--tasks N] [--iterations N] [--hosts-only]

        Times the route-table build for a synthetic swarm, then publishes it into a real gateway on loopback and
        times YARP's apply and the first request through the new routes; then replaces one task N times, and
        deploys and removes one service N times (which rebuilds ASP.NET Core's route matcher).
          --services N     labelled services (default 1000, max 20000)
          --tasks N        tasks per service (default 10, max 100)
          --iterations N   timed repetitions after warm-up (default 20, max 200)
          --hosts-only     every service routes by host name (default: half host, a quarter host and
                           path, a quarter path rules)

        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ConfigBuildBenchmark.Settings settings;
        try
        {
            settings = Parse(args);
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            await stderr.WriteAsync(UsageText).ConfigureAwait(false);
            return LoadTestCommand.BadUsage;
        }

        if (settings.Iterations == 0)
        {
            await stdout.WriteAsync(UsageText).ConfigureAwait(false);
            return LoadTestCommand.Ok;
        }

        return await ConfigBuildBenchmark.RunAsync(settings, stdout, stderr, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Parses the arguments after <c>config-build</c>; iterations 0 means help was asked for.</summary>
    internal static ConfigBuildBenchmark.Settings Parse(IReadOnlyList<string> args)
    {
        int services = 1000, tasks = 10, iterations = 20;
        var hostsOnly = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--help" or "-h":
                    return new ConfigBuildBenchmark.Settings(services, tasks, 0, hostsOnly);
                case "--services":
                    services = Value(args, ref i, 1, 20_000);
                    break;
                case "--tasks":
                    tasks = Value(args, ref i, 1, 100);
                    break;
                case "--iterations":
                    iterations = Value(args, ref i, 1, 200);
                    break;
                case "--hosts-only":
                    hostsOnly = true;
                    break;
                default:
                    throw new UsageException($"unknown option '{args[i]}' for config-build.");
            }
        }

        return new ConfigBuildBenchmark.Settings(services, tasks, iterations, hostsOnly);
    }

    private static int Value(IReadOnlyList<string> args, ref int i, int min, int max)
    {
        var name = args[i];
        if (i + 1 >= args.Count)
        {
            throw new UsageException($"{name} needs a value.");
        }

        var text = args[++i];
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"{name}: '{text}' must be a whole number from {min} to {max}.");
        }

        return value;
    }
}
