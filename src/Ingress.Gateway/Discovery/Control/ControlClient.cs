using System.Net;
using System.Net.Sockets;
using Ingress.Gateway.Telemetry;

namespace Ingress.Gateway.Discovery.Control;

/// <summary>
/// A gateway's requests to manager gateways on the control port: each signed with the control token and a fresh nonce,
/// each answer taken only if it is sealed with the token to that nonce. The one place that speaks the channel's request
/// side, for the discovery state and for any other <see cref="IControlResource"/>.
/// </summary>
internal sealed class ControlClient(ControlToken token, GatewayMetrics metrics, TimeProvider time) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(1),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ActivityHeadersPropagator = null,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>
    /// Gets <paramref name="pathAndQuery"/> from the manager gateway at <paramref name="endpoint"/> within
    /// <paramref name="timeout"/> and returns the opened answer. Throws <see cref="ControlChannelException"/> with a
    /// reason fit for a log line when the manager refuses, fails, is too slow, or answers what cannot be verified.
    /// </summary>
    public async Task<byte[]> GetAsync(IPEndPoint endpoint, string pathAndQuery, TimeSpan timeout, long maxBytes, CancellationToken cancellationToken)
    {
        var nonce = ControlToken.NewNonce();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{endpoint}{pathAndQuery}"));
        request.Headers.TryAddWithoutValidation("Authorization", token.Authorize(pathAndQuery, time.GetUtcNow(), nonce));

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        byte[] body;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var text = await ReadTextAsync(response, deadline.Token).ConfigureAwait(false);
                throw new ControlChannelException(response.StatusCode switch
                {
                    HttpStatusCode.ServiceUnavailable => "it has not listed the swarm yet",
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => $"it refused this gateway ({(int)response.StatusCode}: {text}); is the control token the same on every gateway?",
                    HttpStatusCode.NotFound => "it does not serve this document; do both run the same version?",
                    _ => $"it answered {(int)response.StatusCode}",
                });
            }

            if (response.Content.Headers.ContentLength > maxBytes)
            {
                throw new ControlChannelException($"its answer is larger than {maxBytes} bytes");
            }

            body = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ControlChannelException($"no answer within {timeout.TotalSeconds:0.#} s");
        }

        if (token.TryOpen(body, nonce) is not { } plain)
        {
            metrics.ControlRefused.WithLabels("unverifiable").Inc();
            throw new ControlChannelException("its answer is not sealed with this gateway's control token for this request; refused");
        }

        return plain;
    }

    /// <summary>A reason for a failed request, fit for a log line and <c>/api/state</c>.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        ControlChannelException => ex.Message,
        HttpRequestException { InnerException: SocketException socket } => $"cannot connect ({socket.SocketErrorCode})",
        HttpRequestException { InnerException: TimeoutException } or TimeoutException => "the connect timed out",
        HttpRequestException http => http.Message,
        _ => ex.Message,
    };

    public void Dispose() => _http.Dispose();

    private static async Task<string> ReadTextAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
        return text.Length > 200 ? text[..200] : text;
    }
}

/// <summary>A manager gateway answered in a way this gateway cannot use.</summary>
internal sealed class ControlChannelException(string message) : Exception(message);

/// <summary>
/// A document a manager gateway serves to the other gateways on the control port besides the discovery state: asked
/// for with a signed request, sealed to it like the state, read whole for each request.
/// </summary>
internal interface IControlResource
{
    /// <summary>Its path on the control port, e.g. <c>/control/v1/certificates</c>.</summary>
    string Path { get; }

    /// <summary>The document as it is now.</summary>
    byte[] Read();
}
