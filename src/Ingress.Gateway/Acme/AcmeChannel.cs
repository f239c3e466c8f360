using System.Net.Http.Headers;

namespace Ingress.Gateway.Acme;

/// <summary>
/// Sends ACME requests and keeps the anti-replay nonces (RFC 8555 §6.5): every request is a JWS signed with the account
/// key over a fresh nonce, the <c>Replay-Nonce</c> of every answer is kept for the next request (a <c>HEAD newNonce</c>
/// is needed only when there is none), and a request rejected with <c>badNonce</c> is sent again with the nonce the
/// rejection carried. Error answers become an <see cref="AcmeException"/>.
/// </summary>
/// <remarks>
/// Safe to share: each request takes the kept nonce or, when another request took it, fetches one. The HTTP client is
/// the caller's (see <see cref="AcmeServerTrust.CreateClient"/>).
/// </remarks>
internal sealed partial class AcmeChannel(HttpClient http, AccountKey key, Uri newNonceUrl, int badNonceRetries, ILogger logger)
{
    /// <summary>The header that carries a fresh nonce.</summary>
    public const string ReplayNonceHeader = "Replay-Nonce";

    private string? _nonce;
    private int _badNoncesRetried;

    /// <summary>The account URL, sent as <c>kid</c> once the account exists; null before.</summary>
    public Uri? AccountUrl { get; set; }

    /// <summary>How many requests were sent again after a <c>badNonce</c> rejection, over the channel's life.</summary>
    public int BadNoncesRetried => Volatile.Read(ref _badNoncesRetried);

    /// <summary>The key authorization of a challenge token for this channel's account key.</summary>
    public string KeyAuthorization(string token) => key.KeyAuthorization(token);

    /// <summary>GETs the directory (RFC 8555 §7.1.1), the one unsigned request besides <c>newNonce</c>.</summary>
    public static async Task<AcmeDirectory> GetDirectoryAsync(HttpClient http, Uri directoryUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.GetAsync(directoryUrl, cancellationToken);
        var answer = await AcmeResponse.ReadAsync(response, cancellationToken);
        if (!answer.IsSuccess)
        {
            throw new AcmeException($"GET {directoryUrl} (the directory) failed", answer.Problem(), answer.Status);
        }

        return answer.Read(AcmeJsonContext.Default.AcmeDirectory, $"GET {directoryUrl}");
    }

    /// <summary>POSTs <paramref name="payload"/> to <paramref name="url"/>, signed with the account URL as <c>kid</c>.</summary>
    public Task<AcmeResponse> PostAsync(Uri url, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        SendAsync(url, payload, withJwk: false, accept: null, cancellationToken);

    /// <summary>A POST-as-GET (RFC 8555 §6.3): reads a resource with an empty payload.</summary>
    public Task<AcmeResponse> PostAsGetAsync(Uri url, CancellationToken cancellationToken, string? accept = null) =>
        SendAsync(url, ReadOnlyMemory<byte>.Empty, withJwk: false, accept, cancellationToken);

    /// <summary>POSTs to newAccount, signed with the JWK itself: there is no account URL yet.</summary>
    public Task<AcmeResponse> PostWithJwkAsync(Uri url, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        SendAsync(url, payload, withJwk: true, accept: null, cancellationToken);

    private async Task<AcmeResponse> SendAsync(Uri url, ReadOnlyMemory<byte> payload, bool withJwk, string? accept, CancellationToken cancellationToken)
    {
        var kid = withJwk ? null : (AccountUrl ?? throw new InvalidOperationException("no ACME account yet: register the account first."));
        for (var retry = 0; ; retry++)
        {
            var nonce = Interlocked.Exchange(ref _nonce, null) ?? await NewNonceAsync(cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new ByteArrayContent(Jws.Sign(key, kid?.AbsoluteUri, nonce, url, payload.Span)),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(Jws.MediaType);
            if (accept is not null)
            {
                request.Headers.Accept.ParseAdd(accept);
            }

            var answer = await ExchangeAsync(request, cancellationToken);
            if (answer.IsSuccess)
            {
                return answer;
            }

            var problem = answer.Problem();
            if (problem.Type == AcmeProblem.BadNonce && retry < badNonceRetries)
            {
                Interlocked.Increment(ref _badNoncesRetried);
                LogBadNonce(url, retry + 1, badNonceRetries);
                continue;
            }

            throw new AcmeException($"POST {url} failed", problem, answer.Status);
        }
    }

    private async Task<string> NewNonceAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, newNonceUrl);
        await ExchangeAsync(request, cancellationToken);
        return Interlocked.Exchange(ref _nonce, null)
            ?? throw new AcmeException($"HEAD {newNonceUrl} (newNonce) gave no {ReplayNonceHeader}", null, null);
    }

    /// <summary>Sends one request, keeping the nonce its answer carries, whatever the status.</summary>
    private async Task<AcmeResponse> ExchangeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues(ReplayNonceHeader, out var nonces) && nonces.FirstOrDefault() is { Length: > 0 } nonce)
        {
            Volatile.Write(ref _nonce, nonce);
        }

        return await AcmeResponse.ReadAsync(response, cancellationToken);
    }

    [LoggerMessage(700, LogLevel.Debug, "The ACME server rejected the nonce of POST {Url} (badNonce); sending it again with the fresh nonce it gave ({Retry} of {Retries}).")]
    private partial void LogBadNonce(Uri url, int retry, int retries);
}
