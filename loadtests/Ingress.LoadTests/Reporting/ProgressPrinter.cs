using System.Globalization;
using Ingress.LoadTests.Measurement;

namespace Ingress.LoadTests.Reporting;

/// <summary>The live progress line: elapsed time, rate, failures and p99 so far, once a second.</summary>
/// <remarks>On a terminal the line is rewritten in place; redirected, each sample gets its own line so logs stay readable.</remarks>
internal sealed class ProgressPrinter(TextWriter output, bool rewriteInPlace)
{
    private bool _lineOpen;
    private bool? _lastWasWarmup;

    public static string Format(IntervalSample sample) => string.Create(
        CultureInfo.InvariantCulture,
        $"[{(sample.IsWarmup ? "warm-up" : "measured")} {sample.ElapsedSeconds,6:0.0}s] {Units.Rate(sample.RequestsPerSecond),10} req/s  failures {Units.Count(sample.CumulativeFailures),6}  p99 so far {Units.Ms(sample.CumulativeP99Ms),7} ms");

    public void Write(IntervalSample sample)
    {
        if (!rewriteInPlace)
        {
            output.WriteLine(Format(sample));
            return;
        }

        // Keep the last warm-up line visible when the measured phase starts.
        if (_lineOpen && _lastWasWarmup != sample.IsWarmup)
        {
            output.WriteLine();
        }

        output.Write('\r');
        output.Write(Format(sample));
        output.Flush();
        _lineOpen = true;
        _lastWasWarmup = sample.IsWarmup;
    }

    public void Complete()
    {
        if (_lineOpen)
        {
            output.WriteLine();
            _lineOpen = false;
        }
    }
}
