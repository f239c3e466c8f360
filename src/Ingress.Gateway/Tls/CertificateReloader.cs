using Ingress.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Tls;

/// <summary>
/// Looks at the certificate folder every <see cref="TlsOptions.ReloadInterval"/> of the gateway's clock, so that a
/// certificate added, renewed or removed is served without a restart and without closing a connection.
/// </summary>
/// <remarks>
/// Polling rather than a file watcher: swarm secrets and bind mounts change by replacing files and links, which inotify
/// reports unreliably, and a stat of a few files every few seconds costs nothing. The first load is the store's own.
/// </remarks>
internal sealed partial class CertificateReloader(CertificateStore store, IOptions<TlsOptions> options, TimeProvider time, ILogger<CertificateReloader> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.ReloadInterval, time, stoppingToken);
                store.ReloadIfChanged();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The folder itself went away or is unreadable: keep serving what was loaded, and try again next time.
                LogReloadFailed(ex, store.Folder);
            }
        }
    }

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "The TLS certificate folder {Folder} could not be read; the certificates loaded before are still served.")]
    private partial void LogReloadFailed(Exception exception, string folder);
}
