using Ingress.Gateway.Acme;

namespace Ingress.Gateway.Tests.Acme;

public sealed class Http01ChallengeStoreTests
{
    [Fact]
    public void IsChallengePath_KnownToken_GivesItsKeyAuthorization()
    {
        var store = new Http01ChallengeStore();
        store.Add("tok-1_A", "tok-1_A.thumb");

        Assert.True(store.IsChallengePath("/.well-known/acme-challenge/tok-1_A", out var keyAuthorization));
        Assert.Equal("tok-1_A.thumb", keyAuthorization);
    }

    [Theory]
    [InlineData("/.well-known/acme-challenge/other")]
    [InlineData("/.well-known/acme-challenge/")]
    [InlineData("/.well-known/acme-challenge/tok/extra")]
    public void IsChallengePath_UnknownToken_IsAChallengePathWithNoAnswer(string path)
    {
        var store = new Http01ChallengeStore();
        store.Add("tok", "tok.thumb");

        Assert.True(store.IsChallengePath(path, out var keyAuthorization));
        Assert.Null(keyAuthorization);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/.well-known/acme-challenge")]
    [InlineData("/.well-known/other/tok")]
    [InlineData("/.WELL-KNOWN/acme-challenge/tok")]
    [InlineData(null)]
    public void IsChallengePath_OtherPaths_AreNotChallengePaths(string? path)
    {
        var store = new Http01ChallengeStore();
        store.Add("tok", "tok.thumb");

        Assert.False(store.IsChallengePath(path, out _));
    }

    [Fact]
    public void Remove_Token_IsNoLongerAnswered()
    {
        var store = new Http01ChallengeStore();
        store.Add("tok", "tok.thumb");

        store.Remove("tok");

        Assert.False(store.TryGet("tok", out _));
        Assert.Equal(0, store.Count);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a.b")]
    [InlineData("a+b")]
    [InlineData("a b")]
    public void Add_TokenThatIsNotBase64Url_IsRefused(string token) =>
        Assert.Throws<ArgumentException>(() => new Http01ChallengeStore().Add(token, "x"));

    [Fact]
    public async Task AddTryGetRemove_FromManyThreadsAtOnce_LoseNothing()
    {
        var store = new Http01ChallengeStore();
        var workers = Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++)
            {
                var token = $"w{worker}-{i}";
                store.Add(token, token + ".k");
                Assert.True(store.TryGet(token, out var value) && value == token + ".k");
                if (i % 2 == 0)
                {
                    store.Remove(token);
                }
            }
        }));

        await Task.WhenAll(workers);

        Assert.Equal(8 * 1000, store.Count);
        Assert.True(store.TryGet("w7-1999", out var last) && last == "w7-1999.k");
        Assert.False(store.TryGet("w7-1998", out _));
    }
}
