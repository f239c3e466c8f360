using YamlDotNet.Serialization;

namespace Ingress.Observability.Tests.Common;

/// <summary>YAML read as plain maps and lists, with lookups that fail the test with the missing path.</summary>
internal static class Yaml
{
    public static Dictionary<object, object> Parse(string text) =>
        new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(text)
        ?? throw new InvalidOperationException("The YAML document is empty.");

    public static Dictionary<object, object> Map(this Dictionary<object, object> map, string key) =>
        map.TryGetValue(key, out var value) && value is Dictionary<object, object> child
            ? child
            : throw new Xunit.Sdk.XunitException($"'{key}' is missing or not a map; keys: {string.Join(", ", map.Keys)}");

    public static List<object> List(this Dictionary<object, object> map, string key) =>
        map.TryGetValue(key, out var value) && value is List<object> child
            ? child
            : throw new Xunit.Sdk.XunitException($"'{key}' is missing or not a list; keys: {string.Join(", ", map.Keys)}");

    public static string Text(this Dictionary<object, object> map, string key) =>
        map.TryGetValue(key, out var value) && value is string text
            ? text
            : throw new Xunit.Sdk.XunitException($"'{key}' is missing or not a scalar; keys: {string.Join(", ", map.Keys)}");
}
