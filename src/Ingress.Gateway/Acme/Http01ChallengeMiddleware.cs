using Microsoft.AspNetCore.Http;

namespace Ingress.Gateway.Acme;

/// <summary>
/// Answers HTTP-01 validation requests (RFC 8555 §8.3): <c>GET /.well-known/acme-challenge/{token}</c> gets the key
/// authorization as <c>text/plain</c>, an unknown token 404; every other request goes on down the pipeline. Meant to sit
/// first in the entry ports' pipeline, where certificate authorities knock on port 80.
/// </summary>
internal sealed class Http01ChallengeMiddleware(RequestDelegate next, Http01ChallengeStore store)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) || !store.IsChallengePath(request.Path.Value, out var keyAuthorization))
        {
            return next(context);
        }

        var response = context.Response;
        response.Headers.CacheControl = "no-store";
        if (keyAuthorization is null)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/plain";
        response.ContentLength = System.Text.Encoding.ASCII.GetByteCount(keyAuthorization);
        return HttpMethods.IsHead(request.Method) ? Task.CompletedTask : response.WriteAsync(keyAuthorization, context.RequestAborted);
    }
}

/// <summary>Puts <see cref="Http01ChallengeMiddleware"/> in a pipeline.</summary>
internal static class Http01ChallengeApplicationBuilderExtensions
{
    /// <summary>Answers HTTP-01 validation requests from the registered <see cref="Http01ChallengeStore"/>; other requests pass.</summary>
    public static IApplicationBuilder UseAcmeHttp01Challenges(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseMiddleware<Http01ChallengeMiddleware>();
    }
}
