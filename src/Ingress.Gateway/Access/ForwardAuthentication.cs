using System.Net.Http.Headers;
using System.Text;
using Ingress.Gateway.Http1;
using Ingress.Gateway.Schema;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Ingress.Gateway.Access;

/// <summary>
/// Forward auth, as Traefik's <c>forwardAuth</c>: the auth service gets a <c>GET</c> with the request's headers and where it
/// was going (<c>X-Forwarded-Method</c>, <c>-Proto</c>, <c>-Host</c>, <c>-Uri</c>, <c>-For</c>); a 2xx lets the request through
/// with the named headers of that answer, anything else is the client's answer (status, headers, body).
/// </summary>
/// <remarks>
/// The client is <see cref="ClientName"/> from <see cref="IHttpClientFactory"/>: no redirects followed (a 302 to a login page
/// goes to the client), no cookies kept, no proxy. The policy's timeout bounds the whole exchange: past it the gateway
/// answers <c>504</c>; an auth service that cannot be reached (refused, reset, DNS) gets <c>502</c>. Without
/// <see cref="ForwardAuthPolicy.TrustForwardHeader"/>, a client's <c>X-Forwarded-*</c> and <c>Forwarded</c> headers never
/// reach the auth service, which could otherwise be told another method, host or URI than the one requested.
/// </remarks>
internal sealed class ForwardAuthentication(IHttpClientFactory clients, TimeProvider time)
{
    /// <summary>The name of the <see cref="HttpClient"/> that asks auth services.</summary>
    public const string ClientName = "ingress-forward-auth";

    private const string ForwardedFor = "X-Forwarded-For";
    private const string ForwardedMethod = "X-Forwarded-Method";
    private const string ForwardedProto = "X-Forwarded-Proto";
    private const string ForwardedHost = "X-Forwarded-Host";
    private const string ForwardedUri = "X-Forwarded-Uri";

    public async Task<AccessOutcome> AuthorizeAsync(HttpContext context, ForwardAuthPolicy policy)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, policy.Address);
        CopyRequestHeaders(context.Request, request, policy);
        AddForwarded(context, request, policy.TrustForwardHeader);

        using var timeout = new CancellationTokenSource(policy.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.RequestAborted);
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return AccessOutcome.ClientAborted;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            context.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
            return AccessOutcome.TimedOut;
        }
        catch (HttpRequestException)
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return AccessOutcome.Unreachable;
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                CopyAuthHeaders(response, context.Request, policy);
                return AccessOutcome.Passed;
            }

            return await RelayDenialAsync(response, context, timeout, linked.Token);
        }
    }

    private static async Task<AccessOutcome> RelayDenialAsync(HttpResponseMessage response, HttpContext context, CancellationTokenSource timeout, CancellationToken cancellation)
    {
        var answer = context.Response;
        answer.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.NonValidated)
        {
            if (!HopByHopHeaders.IsHopByHop(name))
            {
                answer.Headers.Append(name, ToStringValues(values));
            }
        }

        foreach (var (name, values) in response.Content.Headers.NonValidated)
        {
            answer.Headers.Append(name, ToStringValues(values));
        }

        try
        {
            await response.Content.CopyToAsync(answer.Body, cancellation);
            return AccessOutcome.Denied;
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            // The status line may have gone: the client learns of the failure by the connection's end.
            context.Abort();
            return context.RequestAborted.IsCancellationRequested ? AccessOutcome.ClientAborted : timeout.IsCancellationRequested ? AccessOutcome.TimedOut : AccessOutcome.Unreachable;
        }
    }

    /// <summary>The request's headers to the auth service: all but hop-by-hop and framing ones, or only those named.</summary>
    private static void CopyRequestHeaders(HttpRequest from, HttpRequestMessage to, ForwardAuthPolicy policy)
    {
        if (!policy.RequestHeaders.IsDefault)
        {
            foreach (var name in policy.RequestHeaders)
            {
                if (!IsForwardHeader(name, policy.TrustForwardHeader) && from.Headers.TryGetValue(name, out var values))
                {
                    to.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
                }
            }

            return;
        }

        foreach (var (name, values) in from.Headers)
        {
            var kind = KnownHeaders.Classify(name);
            if (!HopByHopHeaders.IsHopByHop(kind) && kind is not (KnownHeader.Host or KnownHeader.ContentLength or KnownHeader.Expect)
                && !IsForwardHeader(name, policy.TrustForwardHeader))
            {
                // A GET without a body: content headers (Content-Type, ...) are not taken, which TryAdd says by returning false.
                to.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
    }

    /// <summary>
    /// True for a forwarding header not copied as it is: those <see cref="AddForwarded"/> writes, and, from a client that is
    /// not trusted, every <c>X-Forwarded-*</c> one.
    /// </summary>
    private static bool IsForwardHeader(string name, bool trust) =>
        name.Equals("Forwarded", StringComparison.OrdinalIgnoreCase)
        || (name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase)
            && (!trust || name.Equals(ForwardedFor, StringComparison.OrdinalIgnoreCase) || name.Equals(ForwardedMethod, StringComparison.OrdinalIgnoreCase)
                || name.Equals(ForwardedProto, StringComparison.OrdinalIgnoreCase) || name.Equals(ForwardedHost, StringComparison.OrdinalIgnoreCase)
                || name.Equals(ForwardedUri, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Where the request was going, as Traefik tells it; a client's own values only when trusted.</summary>
    private static void AddForwarded(HttpContext context, HttpRequestMessage to, bool trust)
    {
        var request = context.Request;
        var client = context.Connection.RemoteIpAddress?.ToString();
        Add(ForwardedMethod, request.Method);
        Add(ForwardedProto, request.Scheme);
        Add(ForwardedHost, request.Host.Value);
        Add(ForwardedUri, PathAndQuery(context));
        if (trust && request.Headers.TryGetValue(ForwardedFor, out var chain) && !StringValues.IsNullOrEmpty(chain))
        {
            to.Headers.TryAddWithoutValidation(ForwardedFor, client is null ? chain.ToString() : $"{chain}, {client}");
        }
        else if (client is not null)
        {
            to.Headers.TryAddWithoutValidation(ForwardedFor, client);
        }

        if (trust && request.Headers.TryGetValue("Forwarded", out var forwarded))
        {
            to.Headers.TryAddWithoutValidation("Forwarded", (IEnumerable<string?>)forwarded);
        }

        void Add(string name, string? value)
        {
            if (trust && request.Headers.TryGetValue(name, out var sent) && !StringValues.IsNullOrEmpty(sent))
            {
                to.Headers.TryAddWithoutValidation(name, sent.ToString());
            }
            else if (value is not null)
            {
                to.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }

    /// <summary>The named headers of the auth service's answer replace the request's; one it did not send is removed, so a client cannot forge it.</summary>
    private static void CopyAuthHeaders(HttpResponseMessage response, HttpRequest to, ForwardAuthPolicy policy)
    {
        foreach (var name in policy.ResponseHeaders)
        {
            to.Headers.Remove(name);
            if (response.Headers.NonValidated.TryGetValues(name, out var values) || response.Content.Headers.NonValidated.TryGetValues(name, out values))
            {
                to.Headers[name] = ToStringValues(values);
            }
        }
    }

    private static StringValues ToStringValues(HeaderStringValues values) =>
        values.Count == 1 ? new StringValues(values.ToString()) : new StringValues([.. values]);

    /// <summary>The path and query as the client sent them (Kestrel's raw target), else rebuilt.</summary>
    private static string PathAndQuery(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is { Length: > 0 } && raw[0] == '/' && Ascii.IsValid(raw))
        {
            return raw;
        }

        var request = context.Request;
        return $"{request.PathBase}{request.Path}{request.QueryString}";
    }
}
