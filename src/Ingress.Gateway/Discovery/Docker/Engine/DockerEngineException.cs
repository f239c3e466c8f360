using System.Net;
using System.Text.Json;

namespace Ingress.Gateway.Discovery.Docker.Engine;

/// <summary>The Docker Engine API answered with an error status; <see cref="ResponseBody"/> holds what it said.</summary>
internal sealed class DockerEngineException(HttpStatusCode statusCode, string responseBody)
    : Exception($"Docker API answered {(int)statusCode}: {EngineMessage(responseBody)}")
{
    /// <summary>The status the engine answered with.</summary>
    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>The body as the engine sent it, usually <c>{"message": "…"}</c>.</summary>
    public string ResponseBody { get; } = responseBody;

    /// <summary>The <c>message</c> of an engine's error body; the body itself when it is not one.</summary>
    internal static string EngineMessage(string body)
    {
        try
        {
            if (JsonSerializer.Deserialize(body, EngineJsonContext.Default.EngineErrorBody) is { Message: { Length: > 0 } message })
            {
                return message;
            }
        }
        catch (JsonException)
        {
        }

        return body.Trim();
    }
}
