using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Ingress.Gateway.Acme;

/// <summary>An answer of the certificate authority, read whole: ACME answers are small JSON documents or a PEM chain.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Location">The <c>Location</c> header: the URL of a created account or order.</param>
/// <param name="RetryAfter">The <c>Retry-After</c> header, which paces polling.</param>
/// <param name="MediaType">The media type of the body, without parameters.</param>
/// <param name="Body">The body.</param>
internal sealed record AcmeResponse(HttpStatusCode Status, Uri? Location, RetryConditionHeaderValue? RetryAfter, string? MediaType, byte[] Body)
{
    /// <summary>The media type of an error document (RFC 7807).</summary>
    public const string ProblemMediaType = "application/problem+json";

    /// <summary>The most body characters an exception quotes when the server sent no problem document.</summary>
    private const int QuotedBody = 300;

    /// <summary>Whether the status is a success.</summary>
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    /// <summary>The body as <typeparamref name="T"/>; throws <see cref="AcmeException"/> when it is not that JSON.</summary>
    public T Read<T>(JsonTypeInfo<T> type, string context)
    {
        try
        {
            return JsonSerializer.Deserialize(Body, type) ?? throw new JsonException("the body is null");
        }
        catch (JsonException ex)
        {
            throw new AcmeException($"{context}: the answer is not a valid {typeof(T).Name} ({ex.Message}): {Quote()}", null, Status);
        }
    }

    /// <summary>
    /// The problem an error answer carries: its problem document, or, for a server that sent none (a proxy's error
    /// page), a problem whose detail quotes the body.
    /// </summary>
    public AcmeProblem Problem()
    {
        if (string.Equals(MediaType, ProblemMediaType, StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                if (JsonSerializer.Deserialize(Body, AcmeJsonContext.Default.AcmeProblem) is { } problem)
                {
                    return problem;
                }
            }
            catch (JsonException)
            {
                // Falls through to quoting the body: a broken problem document is still worth showing.
            }
        }

        return new AcmeProblem(null, $"{MediaType ?? "no media type"}: {Quote()}", (int)Status, null, null);
    }

    /// <summary>Reads an HTTP answer whole.</summary>
    public static async Task<AcmeResponse> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var location = response.Headers.Location is { } l && response.RequestMessage?.RequestUri is { } requested ? new Uri(requested, l) : response.Headers.Location;
        return new AcmeResponse(response.StatusCode, location, response.Headers.RetryAfter, response.Content.Headers.ContentType?.MediaType, body);
    }

    private string Quote()
    {
        var text = Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, QuotedBody * 4));
        return text.Length <= QuotedBody ? text : text[..QuotedBody] + "…";
    }
}
