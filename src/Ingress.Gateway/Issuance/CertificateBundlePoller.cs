using System.Text.Json;
using Ingress.Gateway.Acme;
using Ingress.Gateway.Discovery.Control;
using Ingress.Gateway.Tls;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Issuance;

/// <summary>
/// On every gateway of a swarm but the issuing one: every <see cref="AcmeOptions.CheckInterval"/> it asks each manager
/// gateway for the certificates it holds (<see cref="CertificateBundleResource"/>), keeps those newer than its own in
/// its <see cref="AcmeStorage"/> and serves them at once; and it learns the issuing gateway's account thumbprint, with
/// which it answers HTTP-01 validations itself, whichever node the certificate authority knocks on.
/// </summary>
/// <remarks>
/// Every manager gateway is asked, not only the issuer, so a certificate survives the issuer's node: the others keep it
/// on their own volumes and hand it on, and a new leader's gateway has it before it is due for renewal.
/// </remarks>
internal sealed partial class CertificateBundlePoller(
    ControlClient client,
    ManagerDirectory managers,
    AcmeStorage storage,
    AcmeIssuanceService issuance,
    Http01ChallengeStore challenges,
    CertificateStore certificates,
    IOptions<AcmeOptions> options,
    TimeProvider time,
    ILogger<CertificateBundlePoller> logger) : BackgroundService
{
    /// <summary>The largest bundle taken: a few hundred certificates with their chains.</summary>
    private const int MaxBundleBytes = 16 * 1024 * 1024;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);
    private string? _lastProblem;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (issuance.AccountThumbprint is null)
                {
                    await PollAsync(stoppingToken);
                }

                await Task.Delay(options.Value.CheckInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One round over the manager gateways.</summary>
    internal async Task PollAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var (endpoints, resolveError) = await managers.ResolveAsync(cancellationToken);
        if (resolveError is not null)
        {
            problems.Add(resolveError);
        }

        var written = 0;
        foreach (var endpoint in endpoints)
        {
            try
            {
                var bundle = CertificateBundle.Decode(await client.GetAsync(endpoint, CertificateBundleResource.ResourcePath, RequestTimeout, MaxBundleBytes, cancellationToken));
                if (bundle.Issuer && bundle.AccountThumbprint is { } thumbprint)
                {
                    challenges.AccountThumbprint = thumbprint;
                }

                written += storage.Merge(bundle.Files);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is ControlChannelException or HttpRequestException or JsonException or IOException or UnauthorizedAccessException)
            {
                problems.Add($"{endpoint}: {(ex is JsonException ? $"its certificate bundle cannot be read ({ex.Message})" : ControlClient.Describe(ex))}");
            }
        }

        if (written > 0)
        {
            LogReceived(written);
            certificates.ReloadIfChanged();
        }

        // Logged once per change: a manager that stays away must not fill the log every few seconds.
        var problem = problems.Count == 0 ? null : string.Join("; ", problems);
        if (problem is not null && problem != _lastProblem)
        {
            LogPollFailed(problem);
        }

        _lastProblem = problem;
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "ACME: received {Count} newer certificate file(s) from the manager gateways; serving them.")]
    private partial void LogReceived(int count);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "ACME: could not get certificates from every manager gateway: {Problem}. The certificates held are still served.")]
    private partial void LogPollFailed(string problem);
}
