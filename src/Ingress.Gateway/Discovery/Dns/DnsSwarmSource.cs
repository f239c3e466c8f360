using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Ingress.Gateway.Discovery.Dns;

/// <summary>
/// Discovers task addresses by resolving Swarm's <c>tasks.&lt;service&gt;</c> names. Needs no Docker socket, so it works
/// on worker nodes; it cannot see labels or health, so routing comes from configuration.
/// </summary>
internal sealed partial class DnsSwarmSource(
    IDiscoverySink sink,
    IOptions<DnsDiscoveryOptions> options,
    TimeProvider time,
    ILogger<DnsSwarmSource> logger) : BackgroundService
{
    /// <summary>The name this source reports under.</summary>
    public const string SourceName = "dns";

    private readonly DnsDiscoveryOptions _options = options.Value;
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();
    private readonly Dictionary<string, ImmutableArray<SwarmTask>> _lastKnown = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unresolvable = new(StringComparer.Ordinal);

    /// <summary>Resolves a name to addresses; replaceable so tests can simulate an unreachable resolver.</summary>
    internal Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; } = System.Net.Dns.GetHostAddressesAsync;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarting(_options.Services.Count, _options.RefreshInterval);
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(1), _options.MaxRetryDelay);
        while (!stoppingToken.IsCancellationRequested)
        {
            var (snapshot, failure) = await ListAsync(stoppingToken).ConfigureAwait(false);
            if (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            TimeSpan delay;
            if (failure is null)
            {
                sink.Publish(snapshot);
                backoff.Reset();
                delay = _options.RefreshInterval;
            }
            else
            {
                // Nothing is published during a resolver outage: the reconciler keeps the last complete snapshot,
                // and the outage is reported (and logged) once until a complete listing succeeds again.
                sink.ReportFailure(SourceName, failure);
                delay = backoff.Next();
            }

            try
            {
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Resolves every configured service once; a failed lookup keeps that service's last known tasks.</summary>
    internal async Task<(DiscoverySnapshot Snapshot, string? Failure)> ListAsync(CancellationToken stoppingToken)
    {
        var lookups = new Task<(DnsServiceOptions, IPAddress[]?, string?)>[_options.Services.Count];
        for (var i = 0; i < lookups.Length; i++)
        {
            lookups[i] = LookupAsync(_options.Services[i], stoppingToken);
        }

        await Task.WhenAll(lookups).ConfigureAwait(false);

        string? failure = null;
        var services = ImmutableArray.CreateBuilder<SwarmService>();
        for (var i = 0; i < lookups.Length; i++)
        {
            var (service, addresses, error) = lookups[i].Result;
            ImmutableArray<SwarmTask> tasks;
            if (addresses is null)
            {
                failure ??= $"tasks.{service.Name}: {error}";
                if (!_lastKnown.TryGetValue(service.Name, out tasks))
                {
                    continue;
                }
            }
            else
            {
                tasks = [.. addresses
                    .Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a)
                    .Select(a => a.ToString())
                    .Distinct(StringComparer.Ordinal)
                    .Order(StringComparer.Ordinal)
                    .Select(ip => new SwarmTask(ip, ip, 0, null, null, "running"))];
                _lastKnown[service.Name] = tasks;
            }

            services.Add(new SwarmService(
                "dns:" + service.Name,
                service.Name,
                service.ToLabels().ToImmutableSortedDictionary(StringComparer.Ordinal),
                tasks,
                // Configuration order decides clashes between DNS services; API-discovered services are always older.
                _startedAt.AddTicks(i),
                SourceName));
        }

        return (new DiscoverySnapshot(SourceName, services.ToImmutable(), time.GetUtcNow()), failure);
    }

    private async Task<(DnsServiceOptions, IPAddress[]?, string?)> LookupAsync(DnsServiceOptions service, CancellationToken stoppingToken)
    {
        var name = _options.QueryPrefix + service.Name;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.LookupTimeout);
        try
        {
            var addresses = await Resolve(name, timeout.Token).ConfigureAwait(false);
            if (_unresolvable.Remove(service.Name))
            {
                LogResolvableAgain(name, addresses.Length);
            }

            return (service, addresses, null);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.HostNotFound)
        {
            // Swarm answers NXDOMAIN for a service with no running task: that is an answer, not an outage.
            if (_unresolvable.Add(service.Name))
            {
                LogNoTasks(name);
            }

            return (service, [], null);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return (service, null, $"no answer within {_options.LookupTimeout.TotalSeconds:0.#} s");
        }
        catch (OperationCanceledException)
        {
            return (service, null, "stopping");
        }
        catch (Exception ex)
        {
            return (service, null, ex is SocketException socket ? $"{socket.SocketErrorCode}: {socket.Message}" : ex.Message);
        }
    }
}
