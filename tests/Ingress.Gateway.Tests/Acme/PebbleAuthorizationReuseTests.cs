using Ingress.Gateway.Acme;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Gateway.Tests.Acme;

/// <summary>
/// Pebble reusing every valid authorization (PEBBLE_AUTHZREUSE=100), as RFC 8555 §7.1.3 allows a server to: a second
/// order for the same name comes with an authorization that is already valid, and the client must skip its challenge.
/// </summary>
[Collection(PebbleCollection.Name)]
public sealed class PebbleAuthorizationReuseTests
{
    [Fact]
    public async Task IssueAsync_SecondOrderWithAValidAuthorization_IssuesWithoutAnotherValidation()
    {
        await using var server = await PebbleServer.StartAsync(new Dictionary<string, string> { ["PEBBLE_AUTHZREUSE"] = "100" });
        var store = new Http01ChallengeStore();
        await using var responder = await ChallengeResponder.StartAsync(store, server.HttpPort, PebbleIssuanceTests.Count(out var fetched));
        var options = server.Options();
        using var http = AcmeServerTrust.CreateClient(options);
        using var account = AccountKey.Create();
        var issuer = new CertificateIssuer(options, store, http, TimeProvider.System, NullLogger<CertificateIssuer>.Instance);
        var client = await issuer.ConnectAsync(account, PebbleIssuanceTests.Timeout());

        var first = await issuer.IssueAsync(client, ["reuse.ingress.test"], PebbleIssuanceTests.Timeout());
        var validationsOfTheFirst = fetched.Count;
        var second = await issuer.IssueAsync(client, ["reuse.ingress.test"], PebbleIssuanceTests.Timeout());

        Assert.True(validationsOfTheFirst > 0, "the first order was validated over HTTP-01");
        Assert.Equal(validationsOfTheFirst, fetched.Count);
        Assert.NotEqual(first.ChainPem, second.ChainPem);
        Assert.NotEqual(first.PrivateKeyPem, second.PrivateKeyPem);
        Assert.Equal(["reuse.ingress.test"], PebbleIssuanceTests.Sans(PebbleIssuanceTests.ParseChain(second.ChainPem)[0]));
    }
}
