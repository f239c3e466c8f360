using System.Net;
using Ingress.Gateway.Acme;

namespace Ingress.Gateway.Tests.Acme;

/// <summary>The HTTP-01 responder on a real Kestrel on loopback.</summary>
public sealed class Http01ChallengeMiddlewareTests : IAsyncLifetime
{
    private readonly Http01ChallengeStore _store = new();
    private ChallengeResponder _responder = null!;

    public async Task InitializeAsync() => _responder = await ChallengeResponder.StartAsync(_store);

    public async Task DisposeAsync() => await _responder.DisposeAsync();

    [Fact]
    public async Task Get_PendingToken_AnswersTheKeyAuthorizationAsPlainText()
    {
        _store.Add("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0", "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI");

        using var response = await _responder.Client.GetAsync("/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_UnknownOrWithdrawnToken_Is404()
    {
        _store.Add("gone", "gone.k");
        _store.Remove("gone");

        using var unknown = await _responder.Client.GetAsync("/.well-known/acme-challenge/never");
        using var withdrawn = await _responder.Client.GetAsync("/.well-known/acme-challenge/gone");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, withdrawn.StatusCode);
        Assert.Equal("", await withdrawn.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Head_PendingToken_AnswersTheLengthWithoutABody()
    {
        _store.Add("tok", "tok.k");

        using var response = await _responder.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/.well-known/acme-challenge/tok"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(5, response.Content.Headers.ContentLength);
    }

    [Theory]
    [InlineData("GET", "/")]
    [InlineData("GET", "/.well-known/security.txt")]
    [InlineData("POST", "/.well-known/acme-challenge/tok")]
    public async Task OtherRequests_GoOnDownThePipeline(string method, string path)
    {
        _store.Add("tok", "tok.k");

        using var response = await _responder.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal((HttpStatusCode)ChallengeResponder.PassedOnStatus, response.StatusCode);
    }
}
