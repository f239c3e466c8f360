using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Ingress.Gateway.Discovery.Docker.Engine;

/// <summary>
/// The few Docker Engine API calls the gateway makes (services, tasks, its own container, the events stream, and the
/// node's swarm role), over an <see cref="HttpClient"/> that <see cref="DockerEngineTransport"/> sets up.
/// </summary>
/// <remarks>
/// Each call but the events stream times out after the request timeout (<see cref="TimeoutException"/>); the stream
/// only while it waits for the engine's response head. An error status is a <see cref="DockerEngineException"/> with
/// the engine's body, except a missing container, which is null. No API version is put in the path: the engine answers
/// in its own newest version, which the models read from Engine 20.10 (API 1.41) on, whereas a pinned version is
/// refused by some engine (20.10 takes nothing above 1.41, Engine 29 nothing below 1.44).
/// </remarks>
internal sealed class DockerEngineClient(HttpClient http, TimeSpan requestTimeout, TimeProvider time) : IDisposable
{
    /// <summary>Every service of the swarm (<c>GET /services</c>).</summary>
    public async Task<IReadOnlyList<EngineService>> ListServicesAsync(CancellationToken cancellationToken) =>
        await GetAsync("services", EngineJsonContext.Default.IReadOnlyListEngineService, cancellationToken).ConfigureAwait(false) ?? [];

    /// <summary>The swarm's tasks that match <paramref name="filters"/> (<c>GET /tasks</c>).</summary>
    public async Task<IReadOnlyList<EngineTask>> ListTasksAsync(EngineFilters filters, CancellationToken cancellationToken) =>
        await GetAsync("tasks?filters=" + Uri.EscapeDataString(filters.ToJson()), EngineJsonContext.Default.IReadOnlyListEngineTask, cancellationToken).ConfigureAwait(false) ?? [];

    /// <summary>The container named or identified by <paramref name="id"/>; null when the engine has none.</summary>
    public Task<EngineContainer?> InspectContainerAsync(string id, CancellationToken cancellationToken) =>
        GetAsync($"containers/{Uri.EscapeDataString(id)}/json", EngineJsonContext.Default.EngineContainer, cancellationToken, notFoundIsNull: true);

    /// <summary>The engine's description of itself (<c>GET /info</c>), with its node's place in the swarm.</summary>
    public async Task<EngineInfo> GetInfoAsync(CancellationToken cancellationToken) =>
        await GetAsync("info", EngineJsonContext.Default.EngineInfo, cancellationToken).ConfigureAwait(false) ?? new EngineInfo();

    /// <summary>The swarm node <paramref name="id"/> (<c>GET /nodes/{id}</c>); a missing node is a <see cref="DockerEngineException"/>.</summary>
    public async Task<EngineNode> InspectNodeAsync(string id, CancellationToken cancellationToken) =>
        await GetAsync($"nodes/{Uri.EscapeDataString(id)}", EngineJsonContext.Default.EngineNode, cancellationToken).ConfigureAwait(false) ?? new EngineNode();

    /// <summary>
    /// The engine's events that match <paramref name="filters"/>, each as soon as its line arrives. Without
    /// <paramref name="until"/> the stream lasts until the engine ends it or <paramref name="cancellationToken"/> is
    /// cancelled; <paramref name="since"/> replays earlier events first.
    /// </summary>
    public async IAsyncEnumerable<EngineEvent> MonitorEventsAsync(
        EngineFilters filters,
        DateTimeOffset? since = null,
        DateTimeOffset? until = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var path = new StringBuilder("events?filters=").Append(Uri.EscapeDataString(filters.ToJson()));
        if (since is { } from)
        {
            path.Append("&since=").Append(from.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        }

        if (until is { } to)
        {
            path.Append("&until=").Append(to.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        }

        using var response = await SendAsync(path.ToString(), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            // One JSON object per line, written as each event happens: read by line so that none waits for a buffer to fill.
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length > 0 && JsonSerializer.Deserialize(line, EngineJsonContext.Default.EngineEvent) is { } engineEvent)
                {
                    yield return engineEvent;
                }
            }
        }
    }

    public void Dispose() => http.Dispose();

    private Task<T?> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken, bool notFoundIsNull = false)
        where T : class =>
        WithTimeoutAsync(path, async token =>
        {
            using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
            if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            await EnsureSuccessAsync(response, token).ConfigureAwait(false);
            return await response.Content.ReadFromJsonAsync(type, token).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>Sends a GET and returns once the response head is in; only that wait has the request timeout.</summary>
    private Task<HttpResponseMessage> SendAsync(string path, CancellationToken cancellationToken) =>
        WithTimeoutAsync(path, token => http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, token), cancellationToken);

    /// <summary>Runs <paramref name="call"/> with the request timeout; the timeout is a <see cref="TimeoutException"/> naming the call.</summary>
    private async Task<TResult> WithTimeoutAsync<TResult>(string path, Func<CancellationToken, Task<TResult>> call, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(requestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await call(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(path);
        }
    }

    private TimeoutException TimedOut(string path)
    {
        var query = path.IndexOf('?', StringComparison.Ordinal);
        return new TimeoutException($"The Docker API did not answer GET /{(query < 0 ? path : path[..query])} within {requestTimeout}.");
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new DockerEngineException(response.StatusCode, body);
        }
    }
}
