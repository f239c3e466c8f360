using Ingress.Gateway.Configuration;
using Ingress.Gateway.Http1;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// The YARP path's side of the header rules the relay applies in <c>Http1/</c>, by the same types: hop-by-hop fields and
/// the fields a <c>Connection</c> header names (<see cref="HopByHopHeaders"/>), request header names with an underscore
/// (<see cref="UnderscoreHeaders"/>), framing fields on bodiless responses (<see cref="BodilessResponses"/>), and
/// trailers. Applied to every route, after YARP's own header copy and its X-Forwarded transforms.
/// </summary>
/// <remarks>
/// YARP's forwarder drops most hop-by-hop fields itself; these transforms remove the rest. A request or response with no
/// <c>Connection</c> options, no underscore and no hop-by-hop field left costs one pass over its headers and no allocation.
/// </remarks>
internal sealed class ConformanceTransforms(IOptions<GatewayLimitsOptions> limits) : ITransformProvider
{
    private readonly bool _allowUnderscores = limits.Value.AllowUnderscoresInHeaders;

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        context.AddRequestTransform(TransformRequest);
        context.AddResponseTransform(TransformResponse);
        context.AddResponseTrailersTransform(TransformTrailers);
    }

    private ValueTask TransformRequest(RequestTransformContext context)
    {
        var request = context.ProxyRequest;
        List<string>? removed = null;
        foreach (var header in request.Headers.NonValidated)
        {
            if (HopByHopHeaders.IsHopByHop(header.Key) || UnderscoreHeaders.IsDropped(header.Key, _allowUnderscores))
            {
                (removed ??= []).Add(header.Key);
            }
        }

        foreach (var value in context.HttpContext.Request.Headers.Connection)
        {
            AddNamedFields(value, ref removed);
        }

        if (removed is not null)
        {
            foreach (var name in removed)
            {
                if (request.Headers.NonValidated.Contains(name))
                {
                    request.Headers.Remove(name);
                }

                if (request.Content is { } content && content.Headers.NonValidated.Contains(name))
                {
                    content.Headers.Remove(name);
                }
            }
        }

        return default;
    }

    private static ValueTask TransformResponse(ResponseTransformContext context)
    {
        if (context.ProxyResponse is not { } response)
        {
            return default;
        }

        var headers = context.HttpContext.Response.Headers;
        var status = (int)response.StatusCode;
        if (BodilessResponses.DropsContentLength(status))
        {
            headers.ContentLength = null;
        }

        if (BodilessResponses.DropsTransferEncoding(status))
        {
            headers.Remove(HeaderNames.TransferEncoding);
        }

        List<string>? removed = null;
        foreach (var header in response.Headers.NonValidated)
        {
            var kind = KnownHeaders.Classify(header.Key);
            if (HopByHopHeaders.IsHopByHop(kind))
            {
                (removed ??= []).Add(header.Key);
            }

            if (kind == KnownHeader.Connection)
            {
                foreach (var value in header.Value)
                {
                    AddNamedFields(value, ref removed);
                }
            }
        }

        foreach (var name in removed ?? [])
        {
            headers.Remove(name);
        }

        return default;
    }

    private static ValueTask TransformTrailers(ResponseTrailersTransformContext context)
    {
        // Runs only where the client's protocol carries trailers (HTTP/2 and 3: Kestrel sends none over HTTP/1.1).
        if (context.HttpContext.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is not { IsReadOnly: false } trailers)
        {
            return default;
        }

        foreach (var trailer in context.ProxyResponse.TrailingHeaders.NonValidated)
        {
            if (HopByHopHeaders.IsForbiddenInTrailers(trailer.Key))
            {
                trailers.Remove(trailer.Key);
            }
        }

        return default;
    }

    /// <summary>Adds the fields a <c>Connection</c> value names that go with it (<see cref="HopByHopHeaders.IsRemovedWhenNamed"/>).</summary>
    private static void AddNamedFields(string? connectionValue, ref List<string>? removed)
    {
        var value = connectionValue.AsSpan();
        while (!value.IsEmpty)
        {
            var comma = value.IndexOf(',');
            var item = (comma < 0 ? value : value[..comma]).Trim(" \t");
            value = comma < 0 ? default : value[(comma + 1)..];
            if (item.IsEmpty)
            {
                continue;
            }

            var kind = KnownHeaders.Classify(item);
            if (!HopByHopHeaders.IsHopByHop(kind) && HopByHopHeaders.IsRemovedWhenNamed(kind))
            {
                (removed ??= []).Add(item.ToString());
            }
        }
    }
}
