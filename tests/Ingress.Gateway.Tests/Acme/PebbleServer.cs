using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ingress.Gateway.Acme;

namespace Ingress.Gateway.Tests.Acme;

/// <summary>
/// A real ACME server on loopback: Debian's pebble (2.4), with pebble-challtestsrv (same package) as its DNS server,
/// answering every A query with 127.0.0.1, so that pebble's VA really fetches HTTP-01 responses from
/// <see cref="HttpPort"/> on this machine. Random VA sleeps are off; validation is real (no PEBBLE_VA_ALWAYS_VALID).
/// </summary>
/// <remarks>
/// A missing pebble fails the tests, naming the Debian package (scripts/test.sh installs it): a skip would pass silently
/// on the machine (or CI, where CI=true) that lacks it.
/// </remarks>
public sealed class PebbleServer : IAsyncDisposable
{
    public const string PebbleBinary = "/usr/bin/pebble";
    public const string ChallengeServerBinary = "/usr/bin/pebble-challtestsrv";

    private readonly List<(Process Process, StringBuilder Output)> _processes = [];
    private readonly string _directory;

    private PebbleServer(string directory, TestCertificateAuthority tls, int acmePort, int managementPort, int httpPort)
    {
        _directory = directory;
        Tls = tls;
        DirectoryUrl = new Uri($"https://127.0.0.1:{acmePort}/dir");
        ManagementUrl = new Uri($"https://127.0.0.1:{managementPort}/");
        HttpPort = httpPort;
    }

    /// <summary>The ACME directory URL.</summary>
    public Uri DirectoryUrl { get; }

    /// <summary>Pebble's management interface (roots, intermediates).</summary>
    public Uri ManagementUrl { get; }

    /// <summary>The port pebble's VA fetches HTTP-01 responses from (its config's <c>httpPort</c>).</summary>
    public int HttpPort { get; }

    /// <summary>The CA of the TLS certificate pebble serves its directory and management interface with.</summary>
    public TestCertificateAuthority Tls { get; }

    /// <summary>What pebble and the DNS server printed, for failure messages.</summary>
    public string Output => string.Join("\n", _processes.Select(p => { lock (p.Output) { return p.Output.ToString(); } }));

    /// <summary>Client options for this server: its directory, its TLS root, short polls.</summary>
    public AcmeOptions Options(int badNonceRetries = 3) => new()
    {
        DirectoryUrl = DirectoryUrl.AbsoluteUri,
        TrustedRootFile = Tls.RootFile,
        AcceptTermsOfService = true,
        Contacts = ["mailto:ops@ingress.test"],
        PollInterval = TimeSpan.FromMilliseconds(200),
        MaxPollInterval = TimeSpan.FromSeconds(2),
        PollTimeout = TimeSpan.FromSeconds(30),
        RequestTimeout = TimeSpan.FromSeconds(15),
        BadNonceRetries = badNonceRetries,
    };

    /// <summary>Starts pebble-challtestsrv and pebble on free loopback ports; <paramref name="environment"/> adds pebble settings.</summary>
    public static async Task<PebbleServer> StartAsync(IDictionary<string, string>? environment = null)
    {
        foreach (var binary in new[] { PebbleBinary, ChallengeServerBinary })
        {
            var ci = Environment.GetEnvironmentVariable("CI") == "true" ? " (CI=true)" : "";
            Assert.True(File.Exists(binary), $"{binary} is missing{ci}: the ACME tests run against a real pebble. Install the Debian package 'pebble' (apt-get install -y pebble; scripts/test.sh does).");
        }

        var directory = Directory.CreateTempSubdirectory("ingress-pebble-").FullName;
        var tls = TestCertificateAuthority.Create(directory);
        var ports = FreePort.Next(6);
        var (acme, management, http, tlsAlpn, dns, dnsManagement) = (ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]);
        var server = new PebbleServer(directory, tls, acme, management, http);
        try
        {
            // Only the DNS part of the challenge test server: this test answers HTTP-01 itself, on HttpPort.
            server.Start(ChallengeServerBinary, [
                "-dns01", $"127.0.0.1:{dns}", "-http01", "", "-https01", "", "-tlsalpn01", "",
                "-management", $"127.0.0.1:{dnsManagement}", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""], null);
            await WaitForPortAsync(dnsManagement, "pebble-challtestsrv");

            var config = Path.Combine(directory, "pebble-config.json");
            await File.WriteAllTextAsync(config, $$"""
                {
                  "pebble": {
                    "listenAddress": "127.0.0.1:{{acme}}",
                    "managementListenAddress": "127.0.0.1:{{management}}",
                    "certificate": "{{tls.CertificateFile}}",
                    "privateKey": "{{tls.KeyFile}}",
                    "httpPort": {{http}},
                    "tlsPort": {{tlsAlpn}},
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": false
                  }
                }
                """);
            var settings = new Dictionary<string, string> { ["PEBBLE_VA_NOSLEEP"] = "1" };
            foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            {
                settings[key] = value;
            }

            server.Start(PebbleBinary, ["-config", config, "-dnsserver", $"127.0.0.1:{dns}", "-strict=false"], settings);
            using var client = AcmeServerTrust.CreateClient(server.Options());
            await Eventually.WaitAsync(
                async () => (await client.GetAsync(server.DirectoryUrl)).IsSuccessStatusCode,
                ok => ok,
                TimeSpan.FromSeconds(20),
                $"pebble's directory at {server.DirectoryUrl}");
            return server;
        }
        catch (TimeoutException ex)
        {
            var output = server.Output;
            await server.DisposeAsync();
            throw new TimeoutException($"{ex.Message}\nOutput of pebble and pebble-challtestsrv:\n{output}", ex);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Pebble's current issuing root (it makes a new one at every start), from its management interface.</summary>
    public async Task<X509Certificate2> GetIssuingRootAsync()
    {
        using var client = AcmeServerTrust.CreateClient(Options());
        var pem = await client.GetStringAsync(new Uri(ManagementUrl, "roots/0"));
        return X509Certificate2.CreateFromPem(pem);
    }

    /// <summary>Pebble's current issuing intermediate, which signs the certificates it issues.</summary>
    public async Task<X509Certificate2> GetIssuingIntermediateAsync()
    {
        using var client = AcmeServerTrust.CreateClient(Options());
        var pem = await client.GetStringAsync(new Uri(ManagementUrl, "intermediates/0"));
        return X509Certificate2.CreateFromPem(pem);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var (process, _) in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }

            process.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    private void Start(string binary, string[] args, IDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Pebble must not see a stray setting of the machine (PEBBLE_VA_ALWAYS_VALID would make every test vacuous).
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("PEBBLE_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var output = new StringBuilder();
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{binary} did not start");
        _processes.Add((process, output));
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private static Task WaitForPortAsync(int port, string what) =>
        Eventually.WaitAsync(
            async () =>
            {
                using var client = new TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return true;
            },
            ok => ok,
            TimeSpan.FromSeconds(10),
            $"{what} to listen on {port.ToString(CultureInfo.InvariantCulture)}");
}

/// <summary>The default pebble (5% of nonces rejected, as pebble does unless told otherwise), shared by a collection.</summary>
public sealed class PebbleFixture : IAsyncLifetime
{
    private PebbleServer? _server;

    public PebbleServer Server => _server ?? throw new InvalidOperationException("pebble is not started");

    public async Task InitializeAsync() => _server = await PebbleServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>The tests that share one pebble, one after another: they all answer HTTP-01 on its one port.</summary>
[CollectionDefinition(Name)]
public sealed class PebbleCollection : ICollectionFixture<PebbleFixture>
{
    public const string Name = "pebble";
}
