using System.Text.RegularExpressions;

namespace Ingress.Observability.Tests.Common;

/// <summary>
/// Just enough PromQL reading to check a dashboard against an exposition: the metric names an expression selects and
/// the label names it matches or groups by. Not a parser; it relies on the expressions being ordinary PromQL.
/// </summary>
internal static partial class PromQl
{
    private static readonly HashSet<string> s_keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "inf", "nan",
    };

    /// <summary>The metric names <paramref name="expression"/> selects.</summary>
    public static IReadOnlySet<string> MetricNames(string expression)
    {
        var bare = StringLiteral().Replace(expression, "\"\"");
        bare = Variable().Replace(bare, "");
        bare = LabelMatchers().Replace(bare, " ");
        bare = RangeOrSubquery().Replace(bare, " ");
        bare = Grouping().Replace(bare, " ");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match token in Identifier().Matches(bare))
        {
            var isCall = Followed(bare, token.Index + token.Length) == '(';
            if (!isCall && !s_keywords.Contains(token.Value.ToLowerInvariant()))
            {
                names.Add(token.Value);
            }
        }

        return names;
    }

    /// <summary>The label names <paramref name="expression"/> matches on (<c>{service=~"…"}</c>) or groups by (<c>by (service)</c>).</summary>
    public static IReadOnlySet<string> LabelNames(string expression)
    {
        var bare = StringLiteral().Replace(expression, "\"\"");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match block in LabelMatchers().Matches(bare))
        {
            foreach (Match matcher in Matcher().Matches(block.Value))
            {
                names.Add(matcher.Groups["label"].Value);
            }
        }

        foreach (Match grouping in Grouping().Matches(bare))
        {
            foreach (Match label in Identifier().Matches(grouping.Groups["labels"].Value))
            {
                names.Add(label.Value);
            }
        }

        return names;
    }

    /// <summary>Replaces Grafana's variables with what they stand for in a query sent straight to Prometheus.</summary>
    public static string ForPrometheus(string expression, TimeSpan rateInterval) =>
        expression
            .Replace("$__rate_interval", $"{(int)rateInterval.TotalSeconds}s", StringComparison.Ordinal)
            .Replace("$service", ".*", StringComparison.Ordinal);

    private static char Followed(string text, int index)
    {
        while (index < text.Length && char.IsWhiteSpace(text[index]))
        {
            index++;
        }

        return index < text.Length ? text[index] : '\0';
    }

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\$\{?\w+\}?")]
    private static partial Regex Variable();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")]
    private static partial Regex Matcher();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex RangeOrSubquery();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\((?<labels>[^)]*)\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();
}
