using System.Globalization;
using System.Text;
using Ingress.Hostname.Configuration;
using Ingress.Hostname.Shutdown;
using Microsoft.Extensions.Primitives;

namespace Ingress.Hostname.Serving;

/// <summary>Answers every path with the host name, like the Go service's <c>/</c> handler, plus <c>/healthz</c> and <c>?delay=</c>.</summary>
/// <remarks>
/// It is one terminal request delegate rather than routed endpoints: every path gets the same answer, so routing would only
/// add work (and a route-values allocation for a catch-all) to each request.
/// </remarks>
internal sealed class HostnameEndpoint(HostnameOptions options, DrainState drain, RequestLog? requestLog, TimeProvider timeProvider)
{
    /// <summary>The largest accepted <c>?delay=</c>, in milliseconds.</summary>
    internal const int MaxDelayMilliseconds = 30_000;

    internal const string DelayParameter = "delay";

    internal static readonly string InvalidDelayMessage = $"delay must be a whole number of milliseconds from 0 to {MaxDelayMilliseconds}";

    private const string TextPlain = "text/plain; charset=utf-8";

    private static readonly PathString HealthPath = new("/healthz");
    private static readonly byte[] Healthy = "ok"u8.ToArray();
    private static readonly byte[] Draining = "draining"u8.ToArray();
    private static readonly byte[] InvalidDelay = Encoding.UTF8.GetBytes(InvalidDelayMessage);

    // Encoded once: the body never changes, and Go's fmt.Fprint writes it without a trailing newline.
    private readonly byte[] _name = Encoding.UTF8.GetBytes(options.Name);

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;

        if (drain.IsDraining)
        {
            // Keep-alive connections would be cut when the host stops, racing any request the client sends on them;
            // closing each one after its response while draining leaves no idle connection to cut.
            response.Headers.Connection = "close";
        }

        if (request.Path.Equals(HealthPath, StringComparison.OrdinalIgnoreCase))
        {
            // Not logged: health probes would drown the per-request lines.
            var draining = drain.IsDraining;
            await WriteAsync(response, draining ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK, draining ? Draining : Healthy);
            return;
        }

        if (request.QueryString.HasValue && request.Query.TryGetValue(DelayParameter, out var delayValues))
        {
            if (!TryParseDelay(delayValues, out var delay))
            {
                await WriteAsync(response, StatusCodes.Status400BadRequest, InvalidDelay);
                return;
            }

            try
            {
                await Task.Delay(delay, timeProvider, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client went away: there is nobody to answer, and no request was served.
                return;
            }
        }

        requestLog?.Record();
        await WriteAsync(response, StatusCodes.Status200OK, _name);
    }

    internal static bool TryParseDelay(StringValues values, out TimeSpan delay)
    {
        if (values.Count == 1
            && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            && milliseconds <= MaxDelayMilliseconds)
        {
            delay = TimeSpan.FromMilliseconds(milliseconds);
            return true;
        }

        delay = default;
        return false;
    }

    private static ValueTask WriteAsync(HttpResponse response, int statusCode, byte[] body)
    {
        response.StatusCode = statusCode;
        response.ContentType = TextPlain;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body);
    }
}
