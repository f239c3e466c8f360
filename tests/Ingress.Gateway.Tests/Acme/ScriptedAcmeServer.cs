using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Ingress.Gateway.Acme;

namespace Ingress.Gateway.Tests.Acme;

/// <summary>
/// An ACME server in an <see cref="HttpMessageHandler"/>: answers from a script and keeps every request, so unit tests
/// can check what the client sent (each JWS is parsed and verified by <see cref="ParsedJws"/>) and when.
/// </summary>
internal sealed class ScriptedAcmeServer(Func<ScriptedAcmeServer.Request, HttpResponseMessage> answer) : HttpMessageHandler
{
    public static readonly Uri NewNonceUrl = new("https://ca.test/new-nonce");

    private readonly List<Request> _requests = [];

    /// <summary>The requests so far, in order.</summary>
    public IReadOnlyList<Request> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The signed requests, parsed.</summary>
    public IReadOnlyList<ParsedJws> Posts => [.. Requests.Where(r => r.Method == HttpMethod.Post).Select(r => ParsedJws.From(r.Body))];

    public int Heads => Requests.Count(r => r.Method == HttpMethod.Head);

    public HttpClient Client() => new(this, disposeHandler: false);

    /// <summary>An answer with a JSON body and, when given, a fresh nonce and a <c>Retry-After</c> in seconds.</summary>
    public static HttpResponseMessage Json(HttpStatusCode status, string json, string? nonce, int? retryAfter = null, string? location = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (nonce is not null)
        {
            response.Headers.Add(AcmeChannel.ReplayNonceHeader, nonce);
        }

        if (retryAfter is { } seconds)
        {
            response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds));
        }

        if (location is not null)
        {
            response.Headers.Location = new Uri(location);
        }

        return response;
    }

    /// <summary>An <c>application/problem+json</c> answer.</summary>
    public static HttpResponseMessage Problem(HttpStatusCode status, string type, string detail, string? nonce)
    {
        var response = Json(status, $$"""{"type":"{{type}}","detail":"{{detail}}","status":{{(int)status}}}""", nonce);
        response.Content.Headers.ContentType = new MediaTypeHeaderValue(AcmeResponse.ProblemMediaType);
        return response;
    }

    /// <summary>The answer to <c>HEAD newNonce</c>.</summary>
    public static HttpResponseMessage Nonce(string nonce) => Json(HttpStatusCode.OK, "", nonce);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        Request recorded;
        lock (_requests)
        {
            recorded = new Request(request.Method, request.RequestUri!, body, request.Content?.Headers.ContentType?.MediaType, request.Headers.Accept.ToString(), _requests.Count);
            _requests.Add(recorded);
        }

        var response = answer(recorded);
        response.RequestMessage = request;
        return response;
    }

    /// <summary>One request as the server saw it.</summary>
    internal sealed record Request(HttpMethod Method, Uri Url, byte[] Body, string? ContentType, string Accept, int Index);
}
