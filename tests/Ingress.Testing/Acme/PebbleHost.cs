using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Ingress.Gateway.Acme;

namespace Ingress.Testing.Acme;

/// <summary>
/// A real ACME server on this machine: Debian's pebble (2.4), with pebble-challtestsrv (same package) as its DNS server,
/// answering every A query with <see cref="PebbleOptions.ValidatedAddress"/>, so that pebble's VA really fetches each
/// HTTP-01 answer from that address's <see cref="HttpPort"/>. Random VA sleeps are off; validation is real.
/// </summary>
/// <remarks>
/// A missing pebble fails, naming the Debian package (scripts/test.sh installs it): a skip would pass silently on the
/// machine (or CI, where CI=true) that lacks it. Any <c>PEBBLE_*</c> variable of the machine is cleared, so that a stray
/// <c>PEBBLE_VA_ALWAYS_VALID</c> cannot make the validations vacuous. The DNS server listens on loopback: only pebble,
/// on this machine, asks it.
/// </remarks>
public sealed class PebbleHost : IAsyncDisposable
{
    public const string PebbleBinary = "/usr/bin/pebble";
    public const string ChallengeServerBinary = "/usr/bin/pebble-challtestsrv";
    private const string AlwaysValid = "PEBBLE_VA_ALWAYS_VALID";

    private readonly List<Process> _processes = [];
    private readonly StringBuilder _output = new();
    private readonly string _directory;

    private PebbleHost(string directory, TestCertificateAuthority tls, IPEndPoint acme, IPEndPoint management, int httpPort)
    {
        _directory = directory;
        Tls = tls;
        DirectoryUrl = new Uri($"https://{acme}/dir");
        ManagementUrl = new Uri($"https://{management}/");
        HttpPort = httpPort;
    }

    /// <summary>The ACME directory URL.</summary>
    public Uri DirectoryUrl { get; }

    /// <summary>Pebble's management interface (roots, intermediates).</summary>
    public Uri ManagementUrl { get; }

    /// <summary>The port pebble's VA fetches HTTP-01 answers from (its config's <c>httpPort</c>).</summary>
    public int HttpPort { get; }

    /// <summary>The CA of the TLS certificate pebble serves its directory and management interface with.</summary>
    public TestCertificateAuthority Tls { get; }

    /// <summary>What pebble and its DNS server printed, as printed: for failure messages and for counting in pebble's log.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts pebble-challtestsrv, then pebble, and waits for pebble's directory to answer.</summary>
    public static async Task<PebbleHost> StartAsync(PebbleOptions? options = null)
    {
        options ??= new PebbleOptions();
        if (options.Environment.ContainsKey(AlwaysValid))
        {
            throw new ArgumentException($"{AlwaysValid} would make every validation vacuous.", nameof(options));
        }

        foreach (var binary in new[] { PebbleBinary, ChallengeServerBinary })
        {
            if (!File.Exists(binary))
            {
                var ci = Environment.GetEnvironmentVariable("CI") == "true" ? " (CI=true)" : "";
                throw new FileNotFoundException($"{binary} is missing{ci}: the ACME tests run against a real pebble. Install the Debian package 'pebble' (apt-get install -y pebble; scripts/test.sh does).", binary);
            }
        }

        var directory = Directory.CreateTempSubdirectory("ingress-pebble-").FullName;
        var tls = TestCertificateAuthority.Create(directory, serverAddress: options.ListenAddress);
        var free = new Queue<int>(FreePort.Next(6));
        var acme = new IPEndPoint(options.ListenAddress, options.AcmePort ?? free.Dequeue());
        var management = new IPEndPoint(options.ListenAddress, options.ManagementPort ?? free.Dequeue());
        var (http, tlsAlpn) = (options.HttpPort ?? free.Dequeue(), options.TlsAlpnPort ?? free.Dequeue());
        var (dns, dnsManagement) = (free.Dequeue(), free.Dequeue());
        var host = new PebbleHost(directory, tls, acme, management, http);
        try
        {
            // Only the DNS part of the challenge test server: the tests answer HTTP-01 themselves (or a gateway does).
            host.Start(ChallengeServerBinary, [
                "-dns01", $"127.0.0.1:{dns}", "-http01", "", "-https01", "", "-tlsalpn01", "",
                "-management", $"127.0.0.1:{dnsManagement}", "-defaultIPv4", options.ValidatedAddress.ToString(), "-defaultIPv6", ""], new Dictionary<string, string>());
            await WaitForPortAsync(dnsManagement, "pebble-challtestsrv");

            var config = new JsonObject
            {
                ["listenAddress"] = acme.ToString(),
                ["managementListenAddress"] = management.ToString(),
                ["certificate"] = tls.CertificateFile,
                ["privateKey"] = tls.KeyFile,
                ["httpPort"] = http,
                ["tlsPort"] = tlsAlpn,
                ["ocspResponderURL"] = "",
                ["externalAccountBindingRequired"] = false,
            };
            if (options.CertificateValidity is { } validity)
            {
                config["certificateValidityPeriod"] = (long)validity.TotalSeconds;
            }

            var configFile = Path.Combine(directory, "pebble-config.json");
            await File.WriteAllTextAsync(configFile, new JsonObject { ["pebble"] = config }.ToJsonString());
            var environment = new Dictionary<string, string>(options.Environment);
            environment.TryAdd("PEBBLE_VA_NOSLEEP", "1");
            host.Start(PebbleBinary, ["-config", configFile, "-dnsserver", $"127.0.0.1:{dns}", "-strict=false"], environment);

            using var client = host.CreateClient();
            await Eventually.WaitAsync(
                async () => (await client.GetAsync(host.DirectoryUrl)).IsSuccessStatusCode,
                TimeSpan.FromSeconds(20),
                $"pebble's directory at {host.DirectoryUrl}");
            return host;
        }
        catch (TimeoutException ex)
        {
            var output = host.Output;
            await host.DisposeAsync();
            throw new TimeoutException($"{ex.Message}\nOutput of pebble and pebble-challtestsrv:\n{output}", ex);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Pebble's current issuing root (it makes a new one at every start), from its management interface.</summary>
    public Task<X509Certificate2> GetIssuingRootAsync() => GetManagedCertificateAsync("roots/0");

    /// <summary>Pebble's current issuing intermediate, which signs the certificates it issues.</summary>
    public Task<X509Certificate2> GetIssuingIntermediateAsync() => GetManagedCertificateAsync("intermediates/0");

    public ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }

            process.Dispose();
        }

        _processes.Clear();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return ValueTask.CompletedTask;
    }

    private async Task<X509Certificate2> GetManagedCertificateAsync(string path)
    {
        using var client = CreateClient();
        var pem = await client.GetStringAsync(new Uri(ManagementUrl, path));
        return X509Certificate2.CreateFromPem(pem);
    }

    /// <summary>A client that trusts pebble's TLS root alone, as the gateway's ACME client is told to.</summary>
    private HttpClient CreateClient() =>
        AcmeServerTrust.CreateClient(new AcmeOptions { TrustedRootFile = Tls.RootFile, RequestTimeout = TimeSpan.FromSeconds(15) });

    private void Start(string binary, string[] args, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("PEBBLE_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{binary} did not start");
        _processes.Add(process);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static Task WaitForPortAsync(int port, string what) =>
        Eventually.WaitAsync(
            async () =>
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return true;
            },
            TimeSpan.FromSeconds(10),
            $"{what} to listen on {port.ToString(CultureInfo.InvariantCulture)}");
}
