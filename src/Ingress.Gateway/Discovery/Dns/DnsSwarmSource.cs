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

    /// <summary>How many failing names a failure description spells out; the rest are counted.</summary>
    private const int FailuresNamed = 3;

    private readonly DnsDiscoveryOptions _options = options.Value;
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    // Both are touched only after every lookup of a pass has completed, and passes never overlap, so they need no lock.
    private readonly Dictionary<string, ImmutableArray<SwarmTask>> _lastKnown = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unresolvable = new(StringComparer.Ordinal);

    /// <summary>Resolves a name to addresses; replaceable so tests can simulate an unreachable resolver.</summary>
    internal Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; } = System.Net.Dns.GetHostAddressesAsync;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarting(_options.Services.Count, _options.RefreshInterval);
        var backoff = new RetryBackoff(TimeSpan.FromSeconds(1), _options.MaxRetryDelay);
        var passFailing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                var listing = await ListAsync(stoppingToken).ConfigureAwait(false);
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }

                if (listing.Failure is null)
                {
                    sink.Publish(listing.Snapshot);
                    backoff.Reset();
                    delay = _options.RefreshInterval;
                }
                else if (listing.Answered > 0)
                {
                    // The resolver works, so one failing name must not hide what the others say (a scale-up, a
                    // rolling update): publish it all, the failing names with their last known tasks. The sink keeps
                    // the source reported as failing until every name answers, and logs that once.
                    sink.PublishPartial(listing.Snapshot, listing.Failure);
                    backoff.Reset();
                    delay = _options.RefreshInterval;
                }
                else
                {
                    // No name answered: the resolver is down. Nothing is published, so the reconciler keeps the last
                    // snapshot, and the outage is reported (and logged once) until a listing succeeds again.
                    sink.ReportFailure(SourceName, listing.Failure);
                    delay = backoff.Next();
                }

                passFailing = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // A failed pass must not stop the host: what was published stays in force and the pass is retried.
                if (!passFailing)
                {
                    LogPassFailed(ex);
                    passFailing = true;
                }

                sink.ReportFailure(SourceName, "DNS discovery failed: " + ex.Message);
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

    /// <summary>
    /// Resolves every configured service once, concurrently; a name that gets no answer keeps its last known tasks.
    /// Must not be called concurrently with itself.
    /// </summary>
    internal async Task<DnsListing> ListAsync(CancellationToken stoppingToken)
    {
        var lookups = new Task<LookupOutcome>[_options.Services.Count];
        for (var i = 0; i < lookups.Length; i++)
        {
            lookups[i] = LookupAsync(_options.QueryPrefix + _options.Services[i].Name, stoppingToken);
        }

        var outcomes = await Task.WhenAll(lookups).ConfigureAwait(false);

        // From here on, one thread: the lookups only returned what they found, and the shared state is updated here.
        var failures = new List<string>();
        var answered = 0;
        var services = ImmutableArray.CreateBuilder<SwarmService>();
        for (var i = 0; i < outcomes.Length; i++)
        {
            var service = _options.Services[i];
            var name = _options.QueryPrefix + service.Name;
            var outcome = outcomes[i];
            ImmutableArray<SwarmTask> tasks;
            if (outcome.Addresses is null)
            {
                failures.Add($"{name}: {outcome.Error}");
                if (!_lastKnown.TryGetValue(service.Name, out tasks))
                {
                    continue;
                }
            }
            else
            {
                answered++;
                tasks = ToTasks(outcome.Addresses);
                _lastKnown[service.Name] = tasks;
                if (outcome.NotFound)
                {
                    if (_unresolvable.Add(service.Name))
                    {
                        LogNoTasks(name);
                    }
                }
                else if (_unresolvable.Remove(service.Name))
                {
                    LogResolvableAgain(name, tasks.Length);
                }
            }

            services.Add(new SwarmService(
                "dns:" + service.Name,
                service.Name,
                service.ToLabels().ToImmutableSortedDictionary(StringComparer.Ordinal),
                tasks,
                // DNS knows no creation time, so a DNS service counts as created when the gateway started, and
                // configuration order decides clashes between DNS services. Against an API service the older still
                // wins a clash: one created before the gateway started keeps its route, while one created later
                // cannot take a route a DNS service already holds (until the gateway restarts).
                _startedAt.AddTicks(i),
                SourceName));
        }

        var snapshot = new DiscoverySnapshot(SourceName, services.ToImmutable(), time.GetUtcNow());
        return new DnsListing(snapshot, Describe(failures, outcomes.Length), answered);
    }

    private static ImmutableArray<SwarmTask> ToTasks(IPAddress[] addresses) =>
        [.. addresses
            .Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a)
            .Select(a => a.ToString())
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(ip => new SwarmTask(ip, ip, 0, null, null, "running"))];

    /// <summary>Names the first few failures, so the reason stays short when a resolver outage fails every name.</summary>
    private static string? Describe(List<string> failures, int total) => failures.Count switch
    {
        0 => null,
        <= FailuresNamed => string.Join("; ", failures),
        _ => $"{string.Join("; ", failures.Take(FailuresNamed))}; and {failures.Count - FailuresNamed} more ({failures.Count} of {total} names failed)",
    };

    /// <summary>One lookup. It only reports what it found: it runs concurrently with the others and touches no shared state.</summary>
    private async Task<LookupOutcome> LookupAsync(string name, CancellationToken stoppingToken)
    {
        try
        {
            // On the injected clock, like every other delay of the source.
            using var timeout = new CancellationTokenSource(_options.LookupTimeout, time);
            using var lookup = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
            return new LookupOutcome(await Resolve(name, lookup.Token).ConfigureAwait(false), NotFound: false, Error: null);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.HostNotFound)
        {
            // Swarm answers NXDOMAIN for a service with no running task: that is an answer, not an outage.
            return new LookupOutcome([], NotFound: true, Error: null);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return new LookupOutcome(null, NotFound: false, Error: "stopping");
        }
        catch (OperationCanceledException)
        {
            return new LookupOutcome(null, NotFound: false, Error: $"no answer within {_options.LookupTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex)
        {
            return new LookupOutcome(null, NotFound: false, Error: ex is SocketException socket ? $"{socket.SocketErrorCode}: {socket.Message}" : ex.Message);
        }
    }

    /// <summary>What one lookup found.</summary>
    /// <param name="Addresses">What the name resolved to (empty for NXDOMAIN); null when it got no answer.</param>
    /// <param name="NotFound">The name does not exist: the service has no running task.</param>
    /// <param name="Error">Why the name got no answer.</param>
    private readonly record struct LookupOutcome(IPAddress[]? Addresses, bool NotFound, string? Error);
}
