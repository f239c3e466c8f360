using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Ingress.Gateway.Tests.Common;
using Ingress.Testing;
using static Ingress.Gateway.Tests.Common.Swarm;
using static Ingress.Gateway.Tests.Proxy.RouteRedirectTests;

namespace Ingress.Gateway.Tests.Access;

/// <summary>The real gateway (relay on or off) with one real backend and a folder for users files; services published by labels.</summary>
internal sealed class AccessGateway : IAsyncDisposable
{
    private AccessGateway(GatewayTestHost gateway, TestBackend backend, string folder)
    {
        Gateway = gateway;
        Backend = backend;
        Folder = folder;
        // The client sees the gateway's answers as they are: a redirect is not followed.
        _client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{gateway.EntryPorts[0]}/"),
            Timeout = TimeSpan.FromSeconds(10),
        };
    }

    private readonly HttpClient _client;

    public GatewayTestHost Gateway { get; }

    public TestBackend Backend { get; }

    /// <summary>A temporary folder standing for <c>/run/secrets</c>.</summary>
    public string Folder { get; }

    public static async Task<AccessGateway> StartAsync(bool relay, Dictionary<string, string?>? settings = null)
    {
        var folder = Directory.CreateTempSubdirectory("ingress-access-").FullName;
        var backend = await TestBackend.StartAsync("web");
        var all = RelaySetting(relay);
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        return new AccessGateway(await GatewayTestHost.StartAsync(all), backend, folder);
    }

    /// <summary>Publishes service <c>web</c> on the entry port with <paramref name="labels"/>, and waits until it is routed (anything but 404).</summary>
    public async Task PublishAsync(params string[] labels)
    {
        Gateway.Sink.Publish(Snapshot("docker", Service("web", Labels([$"ingress.publish={Gateway.EntryPorts[0]}:{Backend.Port}", .. labels]), [Task("t1", Backend.Ip)])));
        await Eventually.WaitAsync(
            async () => (await SendAsync("/")).StatusCode, s => s != HttpStatusCode.NotFound, TimeSpan.FromSeconds(10), "the service to be routed");
        Backend.Requests.Clear();
    }

    /// <summary>Writes the users file <paramref name="name"/> in <see cref="Folder"/> and returns its path.</summary>
    public string WriteUsers(string name, params string[] lines)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return path;
    }

    /// <summary>GET <paramref name="target"/> for host <c>site.test</c>, with basic credentials when given and extra headers.</summary>
    public async Task<HttpResponseMessage> SendAsync(string target, string? user = null, string? password = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        request.Headers.Host = "site.test";
        if (user is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var response = await _client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    /// <summary>The policies <c>/api/state</c> shows for the routes of service <c>web</c>, as name=value.</summary>
    public async Task<List<string>> PoliciesAsync()
    {
        using var state = JsonDocument.Parse(await Gateway.Admin.GetStringAsync("/api/state"));
        var found = new List<string>();
        foreach (var route in state.RootElement.GetProperty("routes").EnumerateArray())
        {
            foreach (var policy in route.GetProperty("policies").EnumerateArray())
            {
                found.Add($"{policy.GetProperty("name").GetString()}={policy.GetProperty("value").GetString()}");
            }
        }

        return found;
    }

    /// <summary>The value of a sample of <c>/metrics</c> whose line starts with <paramref name="prefix"/> (name and labels), or 0.</summary>
    public async Task<double> MetricAsync(string prefix)
    {
        var text = await Gateway.Admin.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await Gateway.DisposeAsync();
        await Backend.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
