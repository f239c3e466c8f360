using System.Text;
using Ingress.LoadTests.Running;
using Ingress.LoadTests.Scenarios;

namespace Ingress.LoadTests.Cli;

/// <summary>The text <c>--help</c> prints.</summary>
internal static class Usage
{
    public static string Text { get; } = Build();

    private static string Build()
    {
        var text = new StringBuilder();
        text.AppendLine("usage: Ingress.LoadTests <scenario> --url URL [options]");
        text.AppendLine("       Ingress.LoadTests config-build [--services N] [--tasks N] [--iterations N] [--hosts-only]   (see config-build --help)");
        text.AppendLine();
        text.AppendLine("scenarios:");
        foreach (var scenario in ScenarioCatalog.All)
        {
            text.Append("  ").Append(scenario.Name.PadRight(19)).AppendLine(scenario.Description);
        }

        text.AppendLine();
        text.AppendLine($"""
            load:
              --url URL              target; loopback only unless its host is given with --allow-host
              --connections N        virtual users, one connection each (default 32, max {LoadLimits.MaxConnections})
              --rate R               requests per second (open model)
              --duration D           measured phase, e.g. 500ms, 10s, 2m (default 10s, max 10m)
              --warmup D             unmeasured load first (default 2s, max 1m; 0 to skip)
              --max-requests N       stop the measured phase after N requests
              --timeout D            per-request timeout (default 5s)
              --keep-alive on|off    off sends Connection: close (default on)
              --allow-host HOST      also allow this non-loopback host (repeatable); for this project's containers only

            thresholds (exit code 2 when any is breached):
              --max-failures N       transport errors + 5xx responses
              --min-rps X            responses per second
              --max-p99-ms X         p99 latency in milliseconds
              --expect-hosts N       distinct replica host names (hostname-rotation)
              --max-imbalance F      largest distance of a replica from its fair share, 0.1 = 10% (hostname-rotation)

            output:
              --results DIR          report folder (default results/<scenario>-<UTC timestamp>)
              --quiet                no progress line
              --help                 this text

            exit codes: 0 ok, 1 bad usage or refused target, 2 threshold breached, 130 cancelled
            """);
        return text.ToString();
    }
}
