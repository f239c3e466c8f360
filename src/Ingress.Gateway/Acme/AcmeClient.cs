using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Ingress.Gateway.Acme;

/// <summary>
/// The ACME protocol (RFC 8555) over an <see cref="AcmeChannel"/>: the account, orders, authorizations and their
/// challenges, finalization and the certificate download. One step per method; <see cref="CertificateIssuer"/> runs them
/// in order.
/// </summary>
internal sealed class AcmeClient(AcmeChannel channel, AcmeDirectory directory, AcmePoller poller)
{
    /// <summary>The media type of a certificate chain (RFC 8555 §9.1).</summary>
    public const string PemChainMediaType = "application/pem-certificate-chain";

    /// <summary>The directory this client works from.</summary>
    public AcmeDirectory Directory => directory;

    /// <summary>The channel, with its account URL and nonce statistics.</summary>
    public AcmeChannel Channel => channel;

    /// <summary>
    /// Creates the account of the channel's key, or finds it when it exists (RFC 8555 §7.3: 201 for a new account,
    /// 200 for an existing one); either way the channel signs with its URL from then on.
    /// </summary>
    public async Task<AcmeRegistration> RegisterAsync(bool termsOfServiceAgreed, IReadOnlyList<string> contact, CancellationToken cancellationToken)
    {
        var request = new AcmeAccountRequest(termsOfServiceAgreed, contact.Count == 0 ? null : contact);
        var answer = await channel.PostWithJwkAsync(directory.NewAccount, Json(request, AcmeJsonContext.Default.AcmeAccountRequest), cancellationToken);
        var account = answer.Read(AcmeJsonContext.Default.AcmeAccount, "newAccount");
        var url = answer.Location ?? throw new AcmeException("newAccount answered with no Location (the account URL)", null, answer.Status);
        if (account.Status != AcmeStatus.Valid)
        {
            throw new AcmeException($"the account {url} is {account.Status}", null, answer.Status);
        }

        channel.AccountUrl = url;
        return new AcmeRegistration(url, account, Created: answer.Status == HttpStatusCode.Created);
    }

    /// <summary>Orders a certificate for <paramref name="dnsNames"/> (RFC 8555 §7.4); the order and its URL.</summary>
    public async Task<(AcmeOrder Order, Uri Url)> NewOrderAsync(IReadOnlyList<string> dnsNames, CancellationToken cancellationToken)
    {
        var request = new AcmeOrderRequest([.. dnsNames.Select(AcmeIdentifier.Dns)]);
        var answer = await channel.PostAsync(directory.NewOrder, Json(request, AcmeJsonContext.Default.AcmeOrderRequest), cancellationToken);
        var order = answer.Read(AcmeJsonContext.Default.AcmeOrder, "newOrder");
        var url = answer.Location ?? throw new AcmeException("newOrder answered with no Location (the order URL)", null, answer.Status);
        return (order, url);
    }

    /// <summary>Reads an authorization (POST-as-GET).</summary>
    public async Task<AcmeAuthorization> GetAuthorizationAsync(Uri url, CancellationToken cancellationToken) =>
        (await channel.PostAsGetAsync(url, cancellationToken)).Read(AcmeJsonContext.Default.AcmeAuthorization, $"authorization {url}");

    /// <summary>Tells the server that a challenge's response is in place (RFC 8555 §7.5.1: a POST of <c>{}</c>).</summary>
    public async Task<AcmeChallenge> AnswerChallengeAsync(AcmeChallenge challenge, CancellationToken cancellationToken)
    {
        var answer = await channel.PostAsync(challenge.Url, Json(new AcmeChallengeReady(), AcmeJsonContext.Default.AcmeChallengeReady), cancellationToken);
        return answer.Read(AcmeJsonContext.Default.AcmeChallenge, $"challenge {challenge.Url}");
    }

    /// <summary>Polls an authorization until it is no longer pending: valid, invalid, or another final state.</summary>
    public Task<AcmeAuthorization> WaitForAuthorizationAsync(Uri url, CancellationToken cancellationToken) =>
        poller.UntilAsync(
            $"authorization {url}",
            async token =>
            {
                var answer = await channel.PostAsGetAsync(url, token);
                return (answer.Read(AcmeJsonContext.Default.AcmeAuthorization, $"authorization {url}"), answer.RetryAfter);
            },
            authorization => authorization.Status != AcmeStatus.Pending,
            authorization => authorization.Status,
            cancellationToken);

    /// <summary>Polls an order until it has left the states in <paramref name="waitingStates"/>.</summary>
    public Task<AcmeOrder> WaitForOrderAsync(Uri url, IReadOnlyCollection<string> waitingStates, CancellationToken cancellationToken) =>
        poller.UntilAsync(
            $"order {url}",
            async token =>
            {
                var answer = await channel.PostAsGetAsync(url, token);
                return (answer.Read(AcmeJsonContext.Default.AcmeOrder, $"order {url}"), answer.RetryAfter);
            },
            order => !waitingStates.Contains(order.Status),
            order => order.Status,
            cancellationToken);

    /// <summary>Finalizes a ready order with a PKCS#10 request in DER (RFC 8555 §7.4); the order as the server answers it.</summary>
    public async Task<AcmeOrder> FinalizeAsync(AcmeOrder order, byte[] csrDer, CancellationToken cancellationToken)
    {
        var request = new AcmeFinalizeRequest(Base64Url.EncodeToString(csrDer));
        var answer = await channel.PostAsync(order.Finalize, Json(request, AcmeJsonContext.Default.AcmeFinalizeRequest), cancellationToken);
        return answer.Read(AcmeJsonContext.Default.AcmeOrder, $"finalize {order.Finalize}");
    }

    /// <summary>Downloads the certificate chain (RFC 8555 §7.4.2): PEM, the end-entity certificate first.</summary>
    public async Task<string> DownloadCertificateAsync(Uri url, CancellationToken cancellationToken)
    {
        var answer = await channel.PostAsGetAsync(url, cancellationToken, accept: PemChainMediaType);
        if (!string.Equals(answer.MediaType, PemChainMediaType, StringComparison.OrdinalIgnoreCase))
        {
            throw new AcmeException($"certificate {url} came as {answer.MediaType ?? "no media type"}, not {PemChainMediaType}", null, answer.Status);
        }

        return Encoding.UTF8.GetString(answer.Body);
    }

    private static byte[] Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.SerializeToUtf8Bytes(value, type);
}

/// <summary>The account a client signs as.</summary>
/// <param name="Url">The account URL (the JWS <c>kid</c>).</param>
/// <param name="Account">The account object.</param>
/// <param name="Created">True when newAccount created it (201), false when it existed (200).</param>
internal sealed record AcmeRegistration(Uri Url, AcmeAccount Account, bool Created);
