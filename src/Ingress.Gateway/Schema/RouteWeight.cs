using System.Collections.Immutable;
using System.Globalization;

namespace Ingress.Gateway.Schema;

/// <summary>The <c>ingress.weight</c> label: a service's share of a route it declares together with other weighted services.</summary>
internal static class RouteWeight
{
    /// <summary>The largest weight: a split finer than 1 in 1000 is not a canary any more, and the schedule stays small.</summary>
    public const int Max = 1000;

    /// <summary>The weight, or null when the label is not set or is invalid (then with an error).</summary>
    public static int? Parse(IReadOnlyDictionary<string, string> labels, ImmutableArray<LabelError>.Builder errors)
    {
        if (!labels.TryGetValue(IngressLabels.Weight, out var value))
        {
            return null;
        }

        if (int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var weight) && weight <= Max)
        {
            return weight;
        }

        errors.Add(new LabelError(IngressLabels.Weight, value, $"expected a whole number from 0 (no requests) to {Max}"));
        return null;
    }
}
