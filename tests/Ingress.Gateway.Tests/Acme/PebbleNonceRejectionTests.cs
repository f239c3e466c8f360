using Ingress.Gateway.Acme;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Gateway.Tests.Acme;

/// <summary>
/// Pebble rejecting half of all valid nonces with <c>badNonce</c> (PEBBLE_WFE_NONCEREJECT=50): the client must get
/// through by retrying with the nonce each rejection carries.
/// </summary>
[Collection(PebbleCollection.Name)]
public sealed class PebbleNonceRejectionTests
{
    [Fact]
    public async Task IssueAsync_PebbleRejectsHalfTheNonces_RetriesWithTheFreshNoncesAndIssues()
    {
        await using var server = await PebbleServer.StartAsync(new Dictionary<string, string> { ["PEBBLE_WFE_NONCEREJECT"] = "50" });
        var store = new Http01ChallengeStore();
        await using var responder = await ChallengeResponder.StartAsync(store, server.HttpPort);
        // Twenty retries: a request fails only if 21 nonces in a row are rejected (one chance in two million).
        var options = server.Options(badNonceRetries: AcmeOptionsValidator.MaxBadNonceRetries);
        using var http = AcmeServerTrust.CreateClient(options);
        using var account = AccountKey.Create();
        var issuer = new CertificateIssuer(options, store, http, TimeProvider.System, NullLogger<CertificateIssuer>.Instance);
        var client = await issuer.ConnectAsync(account, PebbleIssuanceTests.Timeout());

        var one = await issuer.IssueAsync(client, ["nonce.ingress.test"], PebbleIssuanceTests.Timeout());
        var two = await issuer.IssueAsync(client, ["nonce2.ingress.test", "www.nonce2.ingress.test"], PebbleIssuanceTests.Timeout());

        Assert.Equal(["nonce.ingress.test"], PebbleIssuanceTests.Sans(PebbleIssuanceTests.ParseChain(one.ChainPem)[0]));
        Assert.Equal(2, PebbleIssuanceTests.Sans(PebbleIssuanceTests.ParseChain(two.ChainPem)[0]).Count());
        // Some 20 signed requests at 50%: no rejection at all would have one chance in a million.
        Assert.True(client.Channel.BadNoncesRetried > 0, "pebble rejected no nonce: the retry path was not exercised");
        Assert.Contains("Configured to reject 50% of good nonces", server.Output, StringComparison.Ordinal);
    }
}
