namespace Ingress.Gateway.Acme;

/// <summary>
/// Gets a certificate from an ACME certificate authority with HTTP-01 validation: registers the account, orders the
/// names, publishes each challenge's key authorization in the <see cref="Http01ChallengeStore"/> and tells the authority
/// to validate, waits for the authorizations, finalizes with a fresh key's CSR, waits for the certificate and downloads it.
/// </summary>
/// <remarks>
/// Every failure is an <see cref="AcmeException"/> carrying the authority's problem (a failed validation names the
/// identifier and what the authority saw). Published challenges are withdrawn whatever the outcome.
/// </remarks>
internal sealed partial class CertificateIssuer(
    AcmeOptions options,
    Http01ChallengeStore challenges,
    HttpClient http,
    TimeProvider time,
    ILogger<CertificateIssuer> logger)
{
    private static readonly string[] OrderPending = [AcmeStatus.Pending];
    private static readonly string[] OrderProcessing = [AcmeStatus.Processing];

    /// <summary>Reads the directory and registers (or finds) the account of <paramref name="accountKey"/>.</summary>
    public async Task<AcmeClient> ConnectAsync(AccountKey accountKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(accountKey);
        var directoryUrl = new Uri(options.DirectoryUrl ?? throw new InvalidOperationException($"{AcmeOptions.SectionName}:{nameof(AcmeOptions.DirectoryUrl)} is not set."));
        var directory = await AcmeChannel.GetDirectoryAsync(http, directoryUrl, cancellationToken);
        var channel = new AcmeChannel(http, accountKey, directory.NewNonce, options.BadNonceRetries, logger);
        var client = new AcmeClient(channel, directory, new AcmePoller(time, options));
        var registration = await client.RegisterAsync(options.AcceptTermsOfService, options.Contacts, cancellationToken);
        LogAccount(registration.Created ? "created" : "found", registration.Url);
        return client;
    }

    /// <summary>Connects as <paramref name="accountKey"/> and issues one certificate for <paramref name="dnsNames"/>.</summary>
    public async Task<IssuedCertificate> IssueAsync(AccountKey accountKey, IReadOnlyList<string> dnsNames, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(accountKey, cancellationToken);
        return await IssueAsync(client, dnsNames, cancellationToken);
    }

    /// <summary>Issues one certificate for <paramref name="dnsNames"/> (the first is also its common name).</summary>
    public async Task<IssuedCertificate> IssueAsync(AcmeClient client, IReadOnlyList<string> dnsNames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var names = Normalize(dnsNames);
        var (order, orderUrl) = await client.NewOrderAsync(names, cancellationToken);
        LogOrder(orderUrl, string.Join(", ", names));
        var published = new List<string>();
        try
        {
            var waiting = new List<Uri>();
            foreach (var url in order.Authorizations)
            {
                if (await StartAsync(client, url, published, cancellationToken))
                {
                    waiting.Add(url);
                }
            }

            foreach (var url in waiting)
            {
                var authorization = await client.WaitForAuthorizationAsync(url, cancellationToken);
                if (authorization.Status != AcmeStatus.Valid)
                {
                    var failed = authorization.Challenges.FirstOrDefault(c => c.Error is not null);
                    throw new AcmeException($"the authorization of {authorization.Identifier.Value} is {authorization.Status}", failed?.Error, null);
                }
            }
        }
        finally
        {
            foreach (var token in published)
            {
                challenges.Remove(token);
            }
        }

        order = await client.WaitForOrderAsync(orderUrl, OrderPending, cancellationToken);
        if (order.Status != AcmeStatus.Ready)
        {
            throw new AcmeException($"the order {orderUrl} is {order.Status}, not ready, after its authorizations", order.Error, null);
        }

        using var certificateKey = SigningRequest.NewCertificateKey();
        order = await client.FinalizeAsync(order, SigningRequest.Create(certificateKey, names), cancellationToken);
        if (order.Status == AcmeStatus.Processing)
        {
            order = await client.WaitForOrderAsync(orderUrl, OrderProcessing, cancellationToken);
        }

        if (order.Status != AcmeStatus.Valid || order.Certificate is null)
        {
            throw new AcmeException($"the order {orderUrl} is {order.Status} after finalization", order.Error, null);
        }

        var chain = await client.DownloadCertificateAsync(order.Certificate, cancellationToken);
        var issued = IssuedCertificate.From(chain, certificateKey);
        LogIssued(string.Join(", ", names), issued.NotAfter, issued.RenewAt);
        return issued;
    }

    /// <summary>
    /// Starts the validation of one authorization: nothing when it is already valid (reused), else publishes the HTTP-01
    /// key authorization and tells the authority. True when the authorization must be waited for.
    /// </summary>
    private async Task<bool> StartAsync(AcmeClient client, Uri url, List<string> published, CancellationToken cancellationToken)
    {
        var authorization = await client.GetAuthorizationAsync(url, cancellationToken);
        var name = authorization.Identifier.Value;
        if (authorization.Status == AcmeStatus.Valid)
        {
            return false;
        }

        if (authorization.Status != AcmeStatus.Pending)
        {
            throw new AcmeException($"the authorization of {name} is {authorization.Status}", null, null);
        }

        var challenge = authorization.Challenges.FirstOrDefault(c => c.Type == "http-01")
            ?? throw new AcmeException($"the authorization of {name} offers no http-01 challenge (only {string.Join(", ", authorization.Challenges.Select(c => c.Type))})", null, null);
        if (challenge.Token is not { Length: > 0 } token)
        {
            throw new AcmeException($"the http-01 challenge of {name} has no token", null, null);
        }

        challenges.Add(token, client.Channel.KeyAuthorization(token));
        published.Add(token);
        if (challenge.Status == AcmeStatus.Pending)
        {
            await client.AnswerChallengeAsync(challenge, cancellationToken);
        }

        LogChallenge(name, challenge.Url);
        return true;
    }

    /// <summary>The names to order: lower case, each once, in the given order; wildcards need DNS-01, which is not done here.</summary>
    internal static string[] Normalize(IReadOnlyList<string> dnsNames)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        var names = dnsNames.Select(n => n.Trim().TrimEnd('.').ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToArray();
        if (names.Length == 0)
        {
            throw new ArgumentException("a certificate needs at least one name.", nameof(dnsNames));
        }

        foreach (var name in names)
        {
            if (name.StartsWith("*.", StringComparison.Ordinal) || Uri.CheckHostName(name) != UriHostNameType.Dns)
            {
                throw new ArgumentException($"'{name}' is not a DNS name that HTTP-01 can validate.", nameof(dnsNames));
            }
        }

        return names;
    }

    [LoggerMessage(701, LogLevel.Information, "ACME account {Outcome}: {AccountUrl}.")]
    private partial void LogAccount(string outcome, Uri accountUrl);

    [LoggerMessage(702, LogLevel.Information, "ACME order {OrderUrl} placed for {Names}.")]
    private partial void LogOrder(Uri orderUrl, string names);

    [LoggerMessage(703, LogLevel.Debug, "HTTP-01 challenge for {Name} published and answered at {ChallengeUrl}.")]
    private partial void LogChallenge(string name, Uri challengeUrl);

    [LoggerMessage(704, LogLevel.Information, "Certificate issued for {Names}, valid until {NotAfter:O}, to be renewed at {RenewAt:O}.")]
    private partial void LogIssued(string names, DateTimeOffset notAfter, DateTimeOffset renewAt);
}
