using System.Globalization;
using System.Net;
using Ingress.Gateway.Tests.Common;
using Ingress.Gateway.Tests.Tls;

namespace Ingress.Gateway.Tests.Proxy;

/// <summary>
/// Clients speaking HTTP/2 (and HTTP/1.1) over TLS to the gateway, in front of an ordinary service of three HTTP/1.1
/// replicas: the protocol the client chose by ALPN, and the round-robin promise, hold on the TLS port.
/// </summary>
public sealed class Http2OverTlsTests
{
    private const int Requests = 30;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ConcurrentRequests_OverHttp2_ShareOneConnectionAndRotateAcrossThreeReplicas(bool relay)
    {
        var connections = 0;
        await using var site = await ReplicatedSite.StartAsync(relay, HttpVersion.Version20, () => Interlocked.Increment(ref connections));

        // Each request waits 300 ms at its replica, so they are all in flight at once on the one connection.
        var responses = await Task.WhenAll(Enumerable.Range(0, Requests).Select(_ => site.GetAsync("/?delay=300")));

        Assert.All(responses, r => Assert.Equal(HttpVersion.Version20, r.Version));
        Assert.Equal(1, Volatile.Read(ref connections));
        Assert.All(site.Replicas, r => Assert.True(r.MaxInFlight > 1, $"{r.Name} never had two requests at once: the streams were not multiplexed"));
        AssertRotated(site, responses);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SequentialRequests_OverHttp11OnTls_RotateAcrossThreeReplicas(bool relay)
    {
        await using var site = await ReplicatedSite.StartAsync(relay, HttpVersion.Version11);

        var responses = new List<Response>();
        for (var i = 0; i < Requests; i++)
        {
            responses.Add(await site.GetAsync("/"));
        }

        Assert.All(responses, r => Assert.Equal(HttpVersion.Version11, r.Version));
        AssertRotated(site, responses);
        // One after another, the order is the cycle itself.
        Assert.All(responses.Select((r, i) => (r, i)), x => Assert.Equal(responses[x.i % 3].Replica, x.r.Replica));
    }

    /// <summary>Exact round robin: each replica got a third of the requests, as it counted them and as the client saw it.</summary>
    private static void AssertRotated(ReplicatedSite site, IReadOnlyCollection<Response> responses)
    {
        Assert.Equal(Enumerable.Repeat(Requests / 3, 3), site.Replicas.Select(r => r.ServedCount - site.ServedBefore[r.Name]));
        Assert.Equal(Enumerable.Repeat(Requests / 3, 3), site.Replicas.Select(r => responses.Count(x => x.Replica == r.Name)));
    }

    private sealed record Response(Version Version, string Replica);

    /// <summary>
    /// A gateway with a TLS port and the service <c>web</c>: three HTTP/1.1 replicas on one target port, published on the
    /// default entry port, which the TLS port serves. Ready once a request through the TLS port was answered.
    /// </summary>
    private sealed class ReplicatedSite : IAsyncDisposable
    {
        private readonly TestCertificates _certificates;
        private readonly HttpClient _client;

        private ReplicatedSite(TestCertificates certificates, GatewayTestHost gateway, TestBackend[] replicas, HttpClient client)
        {
            _certificates = certificates;
            Gateway = gateway;
            Replicas = replicas;
            _client = client;
        }

        public GatewayTestHost Gateway { get; }

        public TestBackend[] Replicas { get; }

        /// <summary>What each replica had served when the site was ready, so that tests count their own requests only.</summary>
        public Dictionary<string, int> ServedBefore { get; } = [];

        public static async Task<ReplicatedSite> StartAsync(bool relay, Version version, Action? connected = null)
        {
            var certificates = new TestCertificates();
            certificates.WriteCombined("site.pem", "site.test");
            var replicas = await TestBackend.StartReplicasAsync("r1", "r2", "r3");
            var gateway = await GatewayTestHost.StartAsync(
                new Dictionary<string, string?>
                {
                    ["Ingress:Tls:CertificatesPath"] = certificates.Folder,
                    ["Ingress:Transport:Relay"] = relay.ToString(CultureInfo.InvariantCulture),
                },
                tlsPortCount: 1);
            var client = new HttpClient(TlsClient.Handler(certificates, gateway.TlsPorts[0], connected))
            {
                BaseAddress = new Uri($"https://site.test:{gateway.TlsPorts[0].ToString(CultureInfo.InvariantCulture)}/"),
                DefaultRequestVersion = version,
                DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Timeout = TimeSpan.FromSeconds(10),
            };
            var site = new ReplicatedSite(certificates, gateway, replicas, client);
            gateway.Sink.Publish(Swarm.Snapshot(
                "docker",
                Swarm.Service(
                    "web",
                    Swarm.Labels($"ingress.publish={gateway.EntryPorts[0]}:{replicas[0].Port}"),
                    [.. replicas.Select((r, i) => Swarm.Task("w" + i.ToString(CultureInfo.InvariantCulture), r.Ip, i + 1))])));
            await Eventually.WaitAsync(
                async () =>
                {
                    using var response = await client.GetAsync("/");
                    return response.StatusCode;
                },
                s => s == HttpStatusCode.OK,
                TimeSpan.FromSeconds(10),
                "the service to answer on the TLS port");
            foreach (var replica in replicas)
            {
                site.ServedBefore[replica.Name] = replica.ServedCount;
            }

            return site;
        }

        public async Task<Response> GetAsync(string path)
        {
            using var response = await _client.GetAsync(path);
            response.EnsureSuccessStatusCode();
            return new Response(response.Version, await response.Content.ReadAsStringAsync());
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await Gateway.DisposeAsync();
            foreach (var replica in Replicas)
            {
                await replica.DisposeAsync();
            }

            _certificates.Dispose();
        }
    }
}
