using System.Text.RegularExpressions;

namespace Ingress.Observability.Tests.Common;

/// <summary>A Prometheus text exposition, read back: which metric names it exports and with which labels.</summary>
internal sealed partial class MetricsExposition
{
    private readonly Dictionary<string, HashSet<string>> _labels = new(StringComparer.Ordinal);
    private readonly HashSet<string> _declared = new(StringComparer.Ordinal);

    public MetricsExposition(string text)
    {
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (TypeLine().Match(line) is { Success: true } type)
            {
                var name = type.Groups["name"].Value;
                // A histogram or summary family is queried through its suffixed series.
                string[] series = type.Groups["type"].Value switch
                {
                    "histogram" => [name + "_bucket", name + "_sum", name + "_count"],
                    "summary" => [name, name + "_sum", name + "_count"],
                    _ => [name],
                };
                _declared.UnionWith(series);
            }
            else if (!line.StartsWith('#') && SampleLine().Match(line) is { Success: true } sample)
            {
                if (!_labels.TryGetValue(sample.Groups["name"].Value, out var labels))
                {
                    _labels[sample.Groups["name"].Value] = labels = new(StringComparer.Ordinal);
                }

                foreach (Match label in LabelPair().Matches(sample.Groups["labels"].Value))
                {
                    labels.Add(label.Groups["label"].Value);
                }
            }
        }
    }

    /// <summary>Every series name the exposition declares (<c># TYPE</c>) or has samples of.</summary>
    public IReadOnlySet<string> Names => new HashSet<string>(_declared.Concat(_labels.Keys), StringComparer.Ordinal);

    /// <summary>True when the exposition holds at least one sample of <paramref name="name"/>.</summary>
    public bool HasSamples(string name) => _labels.ContainsKey(name);

    /// <summary>The label names seen on samples of <paramref name="name"/>.</summary>
    public IReadOnlySet<string> LabelsOf(string name) =>
        _labels.TryGetValue(name, out var labels) ? labels : new HashSet<string>();

    [GeneratedRegex(@"^# TYPE (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<type>\w+)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>.*)\})? ")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<label>[a-zA-Z_][a-zA-Z0-9_]*)=""(?:[^""\\]|\\.)*""")]
    private static partial Regex LabelPair();
}
