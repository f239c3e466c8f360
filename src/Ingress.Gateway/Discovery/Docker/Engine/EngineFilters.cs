using System.Text.Json;

namespace Ingress.Gateway.Discovery.Docker.Engine;

/// <summary>
/// The <c>filters</c> query parameter of a list or events call: each key with the values it accepts, as the JSON
/// object <c>{"key":{"value":true}}</c>, the form every engine version accepts.
/// </summary>
internal sealed class EngineFilters
{
    private readonly Dictionary<string, Dictionary<string, bool>> _filters = new(StringComparer.Ordinal);

    /// <summary>Accepts <paramref name="values"/> for <paramref name="key"/>, besides those already added.</summary>
    public EngineFilters Add(string key, params ReadOnlySpan<string> values)
    {
        if (!_filters.TryGetValue(key, out var accepted))
        {
            _filters[key] = accepted = new Dictionary<string, bool>(StringComparer.Ordinal);
        }

        foreach (var value in values)
        {
            accepted[value] = true;
        }

        return this;
    }

    /// <summary>The JSON the engine reads, not yet escaped for a query string.</summary>
    public string ToJson() => JsonSerializer.Serialize(_filters, EngineJsonContext.Default.DictionaryStringDictionaryStringBoolean);
}
