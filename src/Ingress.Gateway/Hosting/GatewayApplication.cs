using Ingress.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Hosting;

/// <summary>Builds and runs the gateway process, turning configuration errors into one clear message and exit code 2.</summary>
public static class GatewayApplication
{
    /// <summary>Exit code for configuration the gateway cannot run with (no stack trace is printed).</summary>
    public const int ConfigurationErrorExitCode = 2;

    /// <summary>Exit code when a background service failed and so stopped the gateway (the host would report 0).</summary>
    public const int BackgroundFailureExitCode = 1;

    /// <summary>Builds the gateway app from command-line <paramref name="args"/> (and the usual configuration sources).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.AddIngressGateway();
        // After the gateway's registrations, so a caller (a test) can replace any of them.
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapIngressGateway();
        return app;
    }

    /// <summary>Runs the gateway until shutdown; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        // Process-wide, so only for the real process: tests build gateways inside their own test host.
        InlineSocketCompletions.EnableUnlessConfigured();

        WebApplication app;
        try
        {
            app = Build(args);
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConfigurationError(ex))
        {
            await Console.Error.WriteLineAsync("ingress: the gateway cannot start. " + Describe(ex)).ConfigureAwait(false);
            return ConfigurationErrorExitCode;
        }

        await app.WaitForShutdownAsync().ConfigureAwait(false);
        var exitCode = ExitCodeAfterShutdown(app.Services);
        await app.DisposeAsync().ConfigureAwait(false);
        return exitCode;
    }

    /// <summary>
    /// 0 after a requested shutdown; <see cref="BackgroundFailureExitCode"/> when a background service faulted, which
    /// stops the host just as a SIGTERM does (the host itself reports success until .NET 11), so that an orchestrator
    /// sees a crash and restarts the task.
    /// </summary>
    internal static int ExitCodeAfterShutdown(IServiceProvider services)
    {
        foreach (var hosted in services.GetServices<IHostedService>())
        {
            if (hosted is BackgroundService { ExecuteTask.IsFaulted: true })
            {
                return BackgroundFailureExitCode;
            }
        }

        return 0;
    }

    internal static bool IsConfigurationError(Exception ex) => ex switch
    {
        GatewayConfigurationException or OptionsValidationException or FormatException => true,
        // Configuration binding ("Failed to convert configuration value at 'X'") and YARP's config validation.
        InvalidOperationException { Message: var m } when m.Contains("configuration", StringComparison.OrdinalIgnoreCase) => true,
        IOException { Message: var m } when m.StartsWith("Failed to bind", StringComparison.Ordinal) => true,
        _ => false,
    };

    /// <summary>The messages of <paramref name="ex"/> and its inner exceptions, one per line, without stack traces.</summary>
    internal static string Describe(Exception ex)
    {
        var lines = new List<string>();
        Collect(ex, lines, depth: 0);
        return string.Join(Environment.NewLine, lines.Distinct());

        static void Collect(Exception e, List<string> lines, int depth)
        {
            if (depth > 8)
            {
                return;
            }

            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    Collect(inner, lines, depth + 1);
                }

                return;
            }

            lines.Add(e.Message);
            if (e.InnerException is { } next)
            {
                Collect(next, lines, depth + 1);
            }
        }
    }
}
