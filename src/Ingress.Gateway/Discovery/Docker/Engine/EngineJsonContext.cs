using System.Text.Json.Serialization;

namespace Ingress.Gateway.Discovery.Docker.Engine;

/// <summary>
/// The source-generated JSON metadata of the Docker Engine API models: only these types, so that Native AOT compiles
/// in metadata for the handful of fields the gateway reads, not for the whole API.
/// </summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(IReadOnlyList<EngineService>))]
[JsonSerializable(typeof(IReadOnlyList<EngineTask>))]
[JsonSerializable(typeof(EngineContainer))]
[JsonSerializable(typeof(EngineInfo))]
[JsonSerializable(typeof(EngineNode))]
[JsonSerializable(typeof(EngineEvent))]
[JsonSerializable(typeof(EngineErrorBody))]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, bool>>))]
internal sealed partial class EngineJsonContext : JsonSerializerContext;

/// <summary>The body the engine answers an error with: <c>{"message": "…"}</c>.</summary>
internal sealed record EngineErrorBody
{
    public string? Message { get; init; }
}
