using System.Net;
using Ingress.Gateway.Acme;
using Microsoft.Extensions.Logging.Abstractions;
using static Ingress.Gateway.Tests.Acme.ScriptedAcmeServer;

namespace Ingress.Gateway.Tests.Acme;

public sealed class AcmeChannelTests : IDisposable
{
    private static readonly Uri OrderUrl = new("https://ca.test/new-order");
    private static readonly Uri AccountUrl = new("https://ca.test/acct/1");
    private readonly AccountKey _key = AccountKey.Create();

    [Fact]
    public async Task PostAsync_TwoRequests_FetchOneNonceWithHead_ThenUseTheReplayNonceOfEachAnswer()
    {
        var server = new ScriptedAcmeServer(r => r.Method == HttpMethod.Head ? Nonce("n0") : Json(HttpStatusCode.OK, "{}", $"n{r.Index}"));
        var channel = Channel(server);

        await channel.PostAsync(OrderUrl, "{}"u8.ToArray(), default);
        await channel.PostAsync(OrderUrl, "{}"u8.ToArray(), default);

        Assert.Equal(1, server.Heads);
        Assert.Equal(NewNonceUrl, server.Requests[0].Url);
        Assert.Equal(["n0", "n1"], server.Posts.Select(p => p.Nonce));
        Assert.All(server.Requests.Where(r => r.Method == HttpMethod.Post), r => Assert.Equal(Jws.MediaType, r.ContentType));
        Assert.All(server.Posts, p => Assert.True(p.VerifiesWith(_key.Jwk)));
        Assert.All(server.Posts, p => Assert.Equal(AccountUrl.AbsoluteUri, p.Header.GetProperty("kid").GetString()));
    }

    [Fact]
    public async Task PostAsync_BadNonce_IsSentAgainOnceWithTheNonceTheRejectionCarried()
    {
        var server = new ScriptedAcmeServer(r => r.Index switch
        {
            0 => Nonce("stale"),
            1 => Problem(HttpStatusCode.BadRequest, AcmeProblem.BadNonce, "JWS has an invalid anti-replay nonce", "fresh"),
            _ => Json(HttpStatusCode.Created, """{"status":"pending"}""", "next"),
        });
        var channel = Channel(server);

        var answer = await channel.PostAsync(OrderUrl, """{"identifiers":[]}"""u8.ToArray(), default);

        Assert.Equal(HttpStatusCode.Created, answer.Status);
        Assert.Equal(["stale", "fresh"], server.Posts.Select(p => p.Nonce));
        Assert.Equal(1, server.Heads);
        Assert.Equal(1, channel.BadNoncesRetried);
        Assert.Equal(server.Posts[0].Payload, server.Posts[1].Payload);
        Assert.All(server.Posts, p => Assert.True(p.VerifiesWith(_key.Jwk)));
    }

    [Fact]
    public async Task PostAsync_BadNonceWithNoFreshNonce_FetchesOneWithHead()
    {
        var server = new ScriptedAcmeServer(r => r.Index switch
        {
            0 => Nonce("first"),
            1 => Problem(HttpStatusCode.BadRequest, AcmeProblem.BadNonce, "bad", nonce: null),
            2 => Nonce("second"),
            _ => Json(HttpStatusCode.OK, "{}", null),
        });

        await Channel(server).PostAsync(OrderUrl, "{}"u8.ToArray(), default);

        Assert.Equal(2, server.Heads);
        Assert.Equal(["first", "second"], server.Posts.Select(p => p.Nonce));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task PostAsync_BadNonceEveryTime_GivesUpAfterTheRetriesWithTheProblem(int retries)
    {
        var server = new ScriptedAcmeServer(r => r.Method == HttpMethod.Head
            ? Nonce("n")
            : Problem(HttpStatusCode.BadRequest, AcmeProblem.BadNonce, "still bad", $"n{r.Index}"));
        var channel = Channel(server, retries);

        var error = await Assert.ThrowsAsync<AcmeException>(() => channel.PostAsync(OrderUrl, "{}"u8.ToArray(), default));

        Assert.Equal(retries + 1, server.Posts.Count);
        Assert.Equal(retries, channel.BadNoncesRetried);
        Assert.Equal(AcmeProblem.BadNonce, error.ProblemType);
        Assert.Equal("still bad", error.Detail);
        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatus);
    }

    [Fact]
    public async Task PostAsync_AnotherProblem_IsNotRetriedAndCarriesTypeDetailSubproblemsAndStatus()
    {
        const string body = """
            {
              "type": "urn:ietf:params:acme:error:rejectedIdentifier",
              "detail": "Some of the identifiers requested were rejected",
              "status": 400,
              "subproblems": [
                { "type": "urn:ietf:params:acme:error:malformed", "detail": "Invalid underscore in DNS name \"_example.org\"", "identifier": { "type": "dns", "value": "_example.org" } },
                { "type": "urn:ietf:params:acme:error:rejectedIdentifier", "detail": "This CA will not issue for \"example.net\"", "identifier": { "type": "dns", "value": "example.net" } }
              ]
            }
            """;
        var server = new ScriptedAcmeServer(r => r.Method == HttpMethod.Head ? Nonce("n") : WithType(Json(HttpStatusCode.Forbidden, body, "n2"), AcmeResponse.ProblemMediaType));

        var error = await Assert.ThrowsAsync<AcmeException>(() => Channel(server).PostAsync(OrderUrl, "{}"u8.ToArray(), default));

        Assert.Single(server.Posts);
        Assert.Equal(HttpStatusCode.Forbidden, error.HttpStatus);
        Assert.Equal("urn:ietf:params:acme:error:rejectedIdentifier", error.ProblemType);
        Assert.Equal("Some of the identifiers requested were rejected", error.Detail);
        Assert.Equal(
            [new AcmeSubproblem("urn:ietf:params:acme:error:malformed", "Invalid underscore in DNS name \"_example.org\"", "_example.org"),
             new AcmeSubproblem("urn:ietf:params:acme:error:rejectedIdentifier", "This CA will not issue for \"example.net\"", "example.net")],
            error.Subproblems);
        Assert.Contains("_example.org: urn:ietf:params:acme:error:malformed", error.Message, StringComparison.Ordinal);
        Assert.Contains("(HTTP 403)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostWithJwkAsync_BeforeTheAccountExists_SignsWithTheJwk()
    {
        var server = new ScriptedAcmeServer(r => r.Method == HttpMethod.Head ? Nonce("n") : Json(HttpStatusCode.Created, "{}", "n2"));
        var channel = new AcmeChannel(server.Client(), _key, NewNonceUrl, 3, NullLogger.Instance);

        await Assert.ThrowsAsync<InvalidOperationException>(() => channel.PostAsync(OrderUrl, "{}"u8.ToArray(), default));
        await channel.PostWithJwkAsync(OrderUrl, "{}"u8.ToArray(), default);

        var post = Assert.Single(server.Posts);
        Assert.True(post.Header.TryGetProperty("jwk", out var jwk));
        Assert.False(post.Header.TryGetProperty("kid", out _));
        Assert.True(post.VerifiesWith(jwk));
    }

    [Fact]
    public async Task PostAsGetAsync_SendsAnEmptyPayloadAndTheAcceptHeader()
    {
        var server = new ScriptedAcmeServer(r => r.Method == HttpMethod.Head ? Nonce("n") : Json(HttpStatusCode.OK, "{}", "n2"));

        await Channel(server).PostAsGetAsync(new Uri("https://ca.test/cert/1"), default, AcmeClient.PemChainMediaType);

        Assert.Equal("", server.Posts[0].EncodedPayload);
        Assert.Equal(AcmeClient.PemChainMediaType, server.Requests[^1].Accept);
    }

    [Fact]
    public async Task GetDirectoryAsync_PebblesDirectory_ReadsEveryUrl()
    {
        const string directory = """
            {
               "keyChange": "https://127.0.0.1:14000/rollover-account-key",
               "meta": { "externalAccountRequired": false, "termsOfService": "data:text/plain,Do%20what%20thou%20wilt" },
               "newAccount": "https://127.0.0.1:14000/sign-me-up",
               "newNonce": "https://127.0.0.1:14000/nonce-plz",
               "newOrder": "https://127.0.0.1:14000/order-plz",
               "revokeCert": "https://127.0.0.1:14000/revoke-cert"
            }
            """;
        var server = new ScriptedAcmeServer(_ => Json(HttpStatusCode.OK, directory, null));

        var read = await AcmeChannel.GetDirectoryAsync(server.Client(), new Uri("https://127.0.0.1:14000/dir"), default);

        Assert.Equal("https://127.0.0.1:14000/nonce-plz", read.NewNonce.AbsoluteUri);
        Assert.Equal("https://127.0.0.1:14000/sign-me-up", read.NewAccount.AbsoluteUri);
        Assert.Equal("https://127.0.0.1:14000/order-plz", read.NewOrder.AbsoluteUri);
        Assert.Equal("data", read.Meta!.TermsOfService!.Scheme);
        Assert.False(read.Meta.ExternalAccountRequired);
    }

    [Fact]
    public async Task GetDirectoryAsync_ErrorPage_ThrowsQuotingIt()
    {
        var server = new ScriptedAcmeServer(_ => WithType(Json(HttpStatusCode.BadGateway, "<html>upstream down</html>", null), "text/html"));

        var error = await Assert.ThrowsAsync<AcmeException>(() => AcmeChannel.GetDirectoryAsync(server.Client(), new Uri("https://ca.test/dir"), default));

        Assert.Equal(HttpStatusCode.BadGateway, error.HttpStatus);
        Assert.Null(error.ProblemType);
        Assert.Contains("text/html: <html>upstream down</html>", error.Detail, StringComparison.Ordinal);
    }

    public void Dispose() => _key.Dispose();

    private AcmeChannel Channel(ScriptedAcmeServer server, int retries = 1) =>
        new(server.Client(), _key, NewNonceUrl, retries, NullLogger.Instance) { AccountUrl = AccountUrl };

    private static HttpResponseMessage WithType(HttpResponseMessage response, string mediaType)
    {
        response.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
        return response;
    }
}
