using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Proxy;

/// <summary>
/// <c>ingress.compress</c>: ASP.NET Core's Response Compression middleware, run only for the routes whose endpoint carries
/// <see cref="RouteCompression"/> (a branch of YARP's proxy pipeline), with the options below.
/// </summary>
/// <remarks>
/// Brotli or gzip, as the client's <c>Accept-Encoding</c> prefers (the framework's providers, at their default
/// <c>Fastest</c> level); only the <see cref="MimeTypes"/>; never a response that already has a <c>Content-Encoding</c>
/// (the replica compressed it) or a <c>Content-Range</c>; never one shorter than <see cref="MinimumLength"/> when its length
/// is known; <c>Vary: Accept-Encoding</c> added. Over TLS too (<c>EnableForHttps</c>): the label is the opt-in, and BREACH is
/// the operator's call (README, "Request and response policies").
/// </remarks>
internal sealed class RouteCompression
{
    /// <summary>Responses with a known length below this are sent as they are: Traefik's default <c>minResponseBodyBytes</c>.</summary>
    public const long MinimumLength = 1024;

    /// <summary>What is compressed: text/*, JSON, JavaScript, XML, SVG, WebAssembly.</summary>
    public static readonly string[] MimeTypes =
    [
        "text/*", "application/json", "application/problem+json", "application/ld+json", "application/manifest+json",
        "application/javascript", "application/xml", "application/problem+xml", "application/xhtml+xml",
        "application/rss+xml", "application/atom+xml", "image/svg+xml", "application/wasm",
    ];

    /// <summary>The one instance, on the endpoints of routes that compress.</summary>
    public static readonly RouteCompression Instance = new();

    private RouteCompression()
    {
    }

    /// <summary>True when the request's route compresses its responses.</summary>
    public static bool Applies(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<RouteCompression>() is not null;

    /// <summary>The framework's options for <c>ingress.compress</c>.</summary>
    public static void Configure(ResponseCompressionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.EnableForHttps = true;
        options.MimeTypes = MimeTypes;
    }
}

/// <summary>
/// The framework's <see cref="ResponseCompressionProvider"/>, which also leaves alone a response whose known length is below
/// <see cref="RouteCompression.MinimumLength"/>: compressing a few bytes costs more than it saves. The framework has no such option.
/// </summary>
internal sealed class MinimumLengthCompressionProvider(IServiceProvider services, IOptions<ResponseCompressionOptions> options) : IResponseCompressionProvider
{
    private readonly ResponseCompressionProvider _framework = new(services, options);

    public ICompressionProvider? GetCompressionProvider(HttpContext context) => _framework.GetCompressionProvider(context);

    public bool ShouldCompressResponse(HttpContext context) =>
        context.Response.ContentLength is not < RouteCompression.MinimumLength && _framework.ShouldCompressResponse(context);

    public bool CheckRequestAcceptsCompression(HttpContext context) => _framework.CheckRequestAcceptsCompression(context);
}
