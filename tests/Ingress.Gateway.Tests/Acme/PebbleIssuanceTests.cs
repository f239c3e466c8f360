using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ingress.Gateway.Acme;
using Ingress.Testing.Acme;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Gateway.Tests.Acme;

/// <summary>
/// The ACME client against a real ACME server (pebble) that really validates HTTP-01 by fetching the key authorization
/// from <see cref="Http01ChallengeMiddleware"/> on Kestrel, and really rejects a share of nonces.
/// </summary>
[Collection(PebbleCollection.Name)]
public sealed class PebbleIssuanceTests(PebbleFixture pebble)
{
    private PebbleHost Server => pebble.Server;

    [Theory]
    [InlineData("one.ingress.test")]
    [InlineData("two.ingress.test", "www.two.ingress.test")]
    public async Task IssueAsync_NamesValidatedOverHttp01_GivesAChainForThoseNamesAndTheKey(params string[] names)
    {
        var store = new Http01ChallengeStore();
        await using var responder = await ChallengeResponder.StartAsync(store, Server.HttpPort, Count(out var fetched));
        using var account = AccountKey.Create();
        using var http = AcmeServerTrust.CreateClient(Server.Options());

        var issued = await Issuer(store, http).IssueAsync(account, names, Timeout());

        // Pebble's VA fetched each name's key authorization from the responder (from several perspectives): validation was real.
        Assert.Equal(names.Order(StringComparer.Ordinal), fetched.Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(0, store.Count);
        var chain = ParseChain(issued.ChainPem);
        var leaf = chain[0];
        Assert.True(chain.Count >= 2, "the chain has the leaf and pebble's intermediate");
        Assert.Equal(names.Order(StringComparer.Ordinal), Sans(leaf).Order(StringComparer.Ordinal));
        using (var withKey = X509Certificate2.CreateFromPem(issued.ChainPem, issued.PrivateKeyPem))
        using (var privateKey = withKey.GetECDsaPrivateKey()!)
        using (var publicKey = leaf.GetECDsaPublicKey()!)
        {
            var signature = privateKey.SignData("proof"u8, HashAlgorithmName.SHA256);
            Assert.True(publicKey.VerifyData("proof"u8, signature, HashAlgorithmName.SHA256), "the private key is the certificate's");
        }

        using var root = await Server.GetIssuingRootAsync();
        Assert.True(ChainsTo(leaf, chain, root, out var status), $"the certificate chains to pebble's issuing root: {status}");
        Assert.Equal(new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), issued.NotAfter);
        Assert.Equal(new DateTimeOffset(leaf.NotBefore.ToUniversalTime()), issued.NotBefore);
        Assert.True(issued.NotAfter > DateTimeOffset.UtcNow.AddDays(1), $"NotAfter {issued.NotAfter:O} is in the future");
        Assert.True(issued.NotBefore < issued.RenewAt && issued.RenewAt < issued.NotAfter);
        Assert.DoesNotContain(account.ExportPem(), issued.PrivateKeyPem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegisterAsync_SameKeyTwice_CreatesThenFindsTheAccount()
    {
        using var account = AccountKey.Create();
        using var http = AcmeServerTrust.CreateClient(Server.Options());
        var directory = await AcmeChannel.GetDirectoryAsync(http, Server.DirectoryUrl, Timeout());

        var first = await NewClient(http, account, directory).RegisterAsync(true, [], Timeout());
        var second = await NewClient(http, account, directory).RegisterAsync(true, ["mailto:other@ingress.test"], Timeout());

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.Url, second.Url);
        Assert.Equal(AcmeStatus.Valid, second.Account.Status);
    }

    [Fact]
    public async Task IssueAsync_ResponderAnswersAWrongKeyAuthorization_FailsWithPebblesProblem()
    {
        // The issuer publishes in its own store; the responder serves a corrupted copy of each key authorization.
        var issuerStore = new Http01ChallengeStore();
        var servedStore = new Http01ChallengeStore();
        await using var responder = await ChallengeResponder.StartAsync(servedStore, Server.HttpPort, (context, next) =>
        {
            if (issuerStore.IsChallengePath(context.Request.Path.Value, out var right) && right is not null)
            {
                servedStore.Add(context.Request.Path.Value![Http01ChallengeStore.PathPrefix.Length..], "wrong" + right);
            }

            return next(context);
        });
        using var account = AccountKey.Create();
        using var http = AcmeServerTrust.CreateClient(Server.Options());

        var error = await Assert.ThrowsAsync<AcmeException>(() => Issuer(issuerStore, http).IssueAsync(account, ["wrong.ingress.test"], Timeout()));

        Assert.Equal("urn:ietf:params:acme:error:unauthorized", error.ProblemType);
        Assert.Contains("wrong", error.Detail, StringComparison.Ordinal);
        Assert.Contains("wrong.ingress.test", error.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, error.HttpStatus);
        Assert.Equal(0, issuerStore.Count);
    }

    [Fact]
    public async Task IssueAsync_NoResponseForTheToken_FailsWith404InPebblesDetail()
    {
        await using var responder = await ChallengeResponder.StartAsync(new Http01ChallengeStore(), Server.HttpPort);
        using var account = AccountKey.Create();
        using var http = AcmeServerTrust.CreateClient(Server.Options());

        var error = await Assert.ThrowsAsync<AcmeException>(() => Issuer(new Http01ChallengeStore(), http).IssueAsync(account, ["missing.ingress.test"], Timeout()));

        Assert.Equal("urn:ietf:params:acme:error:unauthorized", error.ProblemType);
        Assert.Contains("404", error.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewOrderAsync_NameWithAnIllegalCharacter_FailsWithPebblesMalformedProblem()
    {
        using var account = AccountKey.Create();
        using var http = AcmeServerTrust.CreateClient(Server.Options());
        var client = await Issuer(new Http01ChallengeStore(), http).ConnectAsync(account, Timeout());

        var error = await Assert.ThrowsAsync<AcmeException>(() => client.NewOrderAsync(["bad_name.ingress.test"], Timeout()));

        Assert.Equal("urn:ietf:params:acme:error:malformed", error.ProblemType);
        Assert.Contains("illegal character: '_'", error.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, error.HttpStatus);
        Assert.Contains("(HTTP 400): urn:ietf:params:acme:error:malformed: Order included", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetDirectoryAsync_CertificateOfAnotherRootOrOnlyTheSystemStore_IsRefused()
    {
        var directoryOfOther = Directory.CreateTempSubdirectory("ingress-acme-");
        var other = TestCertificateAuthority.Create(directoryOfOther.FullName, "other");
        var options = Server.Options();
        options.TrustedRootFile = other.RootFile;
        using var wrongRoot = AcmeServerTrust.CreateClient(options);
        options.TrustedRootFile = null;
        using var systemStore = AcmeServerTrust.CreateClient(options);

        await Assert.ThrowsAsync<HttpRequestException>(() => AcmeChannel.GetDirectoryAsync(wrongRoot, Server.DirectoryUrl, Timeout()));
        await Assert.ThrowsAsync<HttpRequestException>(() => AcmeChannel.GetDirectoryAsync(systemStore, Server.DirectoryUrl, Timeout()));
        using var right = AcmeServerTrust.CreateClient(Server.Options());
        var directory = await AcmeChannel.GetDirectoryAsync(right, Server.DirectoryUrl, Timeout());
        Assert.Equal(Server.DirectoryUrl.Authority, directory.NewNonce.Authority);
        directoryOfOther.Delete(recursive: true);
    }

    private CertificateIssuer Issuer(Http01ChallengeStore store, HttpClient http) =>
        new(Server.Options(), store, http, TimeProvider.System, NullLogger<CertificateIssuer>.Instance);

    private AcmeClient NewClient(HttpClient http, AccountKey account, AcmeDirectory directory) =>
        new(new AcmeChannel(http, account, directory.NewNonce, 3, NullLogger.Instance), directory, new AcmePoller(TimeProvider.System, Server.Options()));

    internal static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token;

    /// <summary>A middleware that records the host name of each HTTP-01 request it sees before passing it on.</summary>
    internal static Func<HttpContext, RequestDelegate, Task> Count(out List<string> paths)
    {
        var seen = new List<string>();
        paths = seen;
        return (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/.well-known/acme-challenge", StringComparison.Ordinal))
            {
                lock (seen)
                {
                    seen.Add(context.Request.Host.Host);
                }
            }

            return next(context);
        };
    }

    internal static List<X509Certificate2> ParseChain(string pem)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPem(pem);
        return [.. collection];
    }

    internal static IEnumerable<string> Sans(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames();

    internal static bool ChainsTo(X509Certificate2 leaf, IEnumerable<X509Certificate2> presented, X509Certificate2 root, out string status)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ExtraStore.AddRange(presented.Skip(1).ToArray());
        var ok = chain.Build(leaf);
        status = string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation));
        return ok && chain.ChainElements[^1].Certificate.Thumbprint == root.Thumbprint;
    }
}
