using System.Collections.Immutable;
using Ingress.Gateway.Acme;
using Ingress.Gateway.Discovery;
using Ingress.Gateway.Routing;
using Ingress.Gateway.Telemetry;
using Ingress.Gateway.Tls;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Issuance;

/// <summary>
/// Gets and renews the certificates that services ask for with <c>ingress.tls.acme=true</c>: every
/// <see cref="AcmeOptions.CheckInterval"/> it compares what the route table asks for with what <see cref="AcmeStorage"/>
/// holds, orders what is missing or due (two thirds into its lifetime), keeps the result and has the TLS entry ports
/// serve it at once.
/// </summary>
/// <remarks>
/// Orders run one at a time. A failed order is retried after <see cref="AcmeOptions.MinRetryDelay"/>, doubling up to
/// <see cref="AcmeOptions.MaxRetryDelay"/>, per certificate, so one refused name never holds up the others; a
/// certificate being renewed is served until it expires. Names no service asks for any more are not renewed, and
/// their files are left for the TLS reloader to drop when they expire.
/// </remarks>
internal sealed partial class AcmeIssuanceService(
    IOptions<AcmeOptions> options,
    CertificateIssuer issuer,
    AcmeStorage storage,
    DiscoveryReconciler reconciler,
    IIssuerElection election,
    CertificateStore certificates,
    GatewayMetrics metrics,
    TimeProvider time,
    ILogger<AcmeIssuanceService> logger) : BackgroundService
{
    private readonly AcmeOptions _options = options.Value;
    private readonly Dictionary<string, Attempts> _attempts = new(StringComparer.Ordinal);
    private AcmeIssuanceStatus _status = AcmeIssuanceStatus.Initial(options.Value.DirectoryUrl ?? "", options.Value.StoragePath, election.Role);
    private AccountKey? _account;
    private AcmeClient? _client;
    private DateTimeOffset _ordersFrom;
    private bool _issuer;
    private string? _electionError;

    /// <summary>The latest status; replaced as a whole after each certificate.</summary>
    public AcmeIssuanceStatus Status => Volatile.Read(ref _status);

    /// <summary>The account key's thumbprint while this gateway issues, for the other gateways' HTTP-01 answers; null otherwise.</summary>
    public string? AccountThumbprint => Volatile.Read(ref _issuer) ? Volatile.Read(ref _account)?.Thumbprint : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckAsync(stoppingToken);
                await Task.Delay(_options.CheckInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The storage folder itself failed (full, read-only): say so, keep serving what is held, look again later.
                LogCheckFailed(ex, _options.StoragePath);
                await Task.Delay(_options.CheckInterval, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>One pass: orders whatever is missing or due and not waiting after a failure.</summary>
    internal async Task CheckAsync(CancellationToken cancellationToken)
    {
        await ElectAsync(cancellationToken);
        var orders = CertificateOrder.From(reconciler.Table);
        var held = storage.Load();
        var statuses = new AcmeCertificateStatus[orders.Length];
        for (var i = 0; i < orders.Length; i++)
        {
            statuses[i] = Describe(orders[i], held, time.GetUtcNow());
        }

        Publish(statuses);
        if (!_issuer || time.GetUtcNow() < _ordersFrom)
        {
            // Another gateway issues (this one receives what it issued), or the account is new and the other gateways
            // have not learnt its thumbprint yet, which they need to answer the validation.
            return;
        }

        for (var i = 0; i < orders.Length; i++)
        {
            var order = orders[i];
            if (statuses[i].State is AcmeCertificateState.Valid
                || (_attempts.TryGetValue(order.Key, out var attempts) && time.GetUtcNow() < attempts.NextAttempt))
            {
                continue;
            }

            statuses[i] = await OrderAsync(order, statuses[i], cancellationToken);
            Publish(statuses);
        }

        foreach (var key in _attempts.Keys.Except(orders.Select(o => o.Key)).ToList())
        {
            _attempts.Remove(key);
        }
    }

    private async Task<AcmeCertificateStatus> OrderAsync(CertificateOrder order, AcmeCertificateStatus status, CancellationToken cancellationToken)
    {
        try
        {
            // ElectAsync loads the account key whenever this gateway issues, and only an issuer gets here.
            _client ??= await issuer.ConnectAsync(_account!, cancellationToken);
            var issued = await issuer.IssueAsync(_client, order.Names, cancellationToken);
            var stored = storage.Save(order.Names, issued);
            certificates.ReloadIfChanged();
            _attempts.Remove(order.Key);
            metrics.AcmeOrders.WithLabels("issued").Inc();
            LogIssued(order.Key, stored.NotAfter, stored.RenewAt, stored.File);
            return status with
            {
                State = AcmeCertificateState.Valid, File = stored.File, NotAfter = stored.NotAfter, RenewAt = stored.RenewAt,
                Failures = 0, LastError = null, NextAttempt = null,
            };
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is AcmeException or HttpRequestException or TimeoutException or OperationCanceledException)
        {
            // A client that failed may hold a stale nonce or account state: connect afresh next time.
            _client = null;
            if (!_attempts.TryGetValue(order.Key, out var attempts))
            {
                attempts = new Attempts(new RetryBackoff(_options.MinRetryDelay, _options.MaxRetryDelay));
                _attempts[order.Key] = attempts;
            }

            var delay = attempts.Backoff.Next();
            attempts.Failures++;
            attempts.LastError = Reason(ex);
            attempts.NextAttempt = time.GetUtcNow() + delay;
            metrics.AcmeOrders.WithLabels("failed").Inc();
            LogOrderFailed(order.Key, attempts.Failures, attempts.LastError, delay);
            return status with { State = AcmeCertificateState.Failing, Failures = attempts.Failures, LastError = attempts.LastError, NextAttempt = attempts.NextAttempt };
        }
    }

    /// <summary>Asks whether this gateway issues now; the first time it does, loads (or makes) the account key.</summary>
    private async Task ElectAsync(CancellationToken cancellationToken)
    {
        bool issuer;
        try
        {
            issuer = await election.IsIssuerAsync(cancellationToken);
            _electionError = null;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Not knowing is not issuing: two issuers would order twice; none only waits.
            issuer = false;
            var error = $"cannot tell whether this gateway issues: {ex.Message}";
            if (error != _electionError)
            {
                LogElectionFailed(error);
            }

            _electionError = error;
        }

        if (issuer && _account is null)
        {
            var (key, created) = storage.LoadOrCreateAccountKey();
            Volatile.Write(ref _account, key);
            if (created)
            {
                _ordersFrom = time.GetUtcNow() + _options.CheckInterval * 2;
            }
        }

        if (issuer != _issuer)
        {
            LogIssuer(issuer, election.Role);
        }

        Volatile.Write(ref _issuer, issuer);
    }

    private AcmeCertificateStatus Describe(CertificateOrder order, IReadOnlyList<StoredCertificate> held, DateTimeOffset now)
    {
        StoredCertificate? best = null;
        foreach (var certificate in held)
        {
            if (certificate.Covers(order.Names) && now < certificate.NotAfter && (best is null || certificate.NotAfter > best.NotAfter))
            {
                best = certificate;
            }
        }

        _attempts.TryGetValue(order.Key, out var attempts);
        var state = best is not null && now < best.RenewAt ? AcmeCertificateState.Valid
            : attempts is not null ? AcmeCertificateState.Failing
            : best is not null ? AcmeCertificateState.Renewing
            : AcmeCertificateState.Pending;
        return new AcmeCertificateStatus(
            order.Names, order.Services, state, best?.File, best?.NotAfter, best?.RenewAt, attempts?.Failures ?? 0, attempts?.LastError, attempts?.NextAttempt);
    }

    private void Publish(AcmeCertificateStatus[] statuses)
    {
        Volatile.Write(ref _status, new AcmeIssuanceStatus(
            _options.DirectoryUrl ?? "", _options.StoragePath, election.Role, _issuer, _electionError, time.GetUtcNow(), [.. statuses]));
        metrics.AcmeCertificatesFailing.Set(statuses.Count(s => s.State == AcmeCertificateState.Failing));
    }

    private static string Reason(Exception ex) => ex switch
    {
        AcmeException acme => acme.Message,
        HttpRequestException => $"the certificate authority could not be reached: {ex.Message}",
        _ => $"the certificate authority did not answer in time: {ex.Message}",
    };

    /// <summary>The failures of one certificate's orders in a row.</summary>
    private sealed class Attempts(RetryBackoff backoff)
    {
        public RetryBackoff Backoff { get; } = backoff;

        public int Failures { get; set; }

        public string? LastError { get; set; }

        public DateTimeOffset NextAttempt { get; set; }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "ACME certificate for {Names} issued, valid until {NotAfter:u}, renewed from {RenewAt:u}; kept as {File}.")]
    private partial void LogIssued(string names, DateTimeOffset notAfter, DateTimeOffset renewAt, string file);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "ACME order for {Names} failed ({Failures} in a row): {Reason} Next attempt in {Delay}.")]
    private partial void LogOrderFailed(string names, int failures, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "ACME: this gateway ({Role}) orders the swarm's certificates: {Issuer}.")]
    private partial void LogIssuer(bool issuer, string role);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "ACME: {Error}; not ordering until it can tell (logged once per change).")]
    private partial void LogElectionFailed(string error);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "ACME issuance could not use its storage folder {Folder}; the certificates held are still served.")]
    private partial void LogCheckFailed(Exception exception, string folder);
}
