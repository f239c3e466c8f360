using System.Text.Json;

namespace Ingress.Swarm.Tests.Common;

/// <summary>Appends measured figures to <c>artifacts/swarm-timings.jsonl</c>, which docs/benchmarks.md quotes.</summary>
internal static class Timings
{
    private static readonly Lock s_gate = new();

    public static void Record(string measurement, double milliseconds, object? detail = null)
    {
        var dir = Repository.PathOf("artifacts");
        Directory.CreateDirectory(dir);
        var line = JsonSerializer.Serialize(new { at = DateTimeOffset.UtcNow, measurement, milliseconds = Math.Round(milliseconds, 1), detail });
        lock (s_gate)
        {
            File.AppendAllText(Path.Combine(dir, "swarm-timings.jsonl"), line + Environment.NewLine);
        }
    }
}
