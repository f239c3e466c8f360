using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace Ingress.Lab.Tests.Acme;

/// <summary>
/// A real ACME server for the lab: Debian's pebble on this machine, listening on the lab bridge's address, which every
/// node and every container in it reaches, with pebble-challtestsrv as its DNS server answering every A query with one
/// node's address, so that pebble's VA fetches HTTP-01 answers from that node's entry port, as a CA on the Internet would.
/// </summary>
/// <remarks>
/// Unlike the Gateway tests' <c>PebbleServer</c> (loopback, the test answers the challenges), pebble here must be reached
/// from the nodes' network namespaces, and its TLS certificate must name the bridge's address. Orders are counted from
/// pebble's own log ("Issued certificate serial"): the certificate authority's word, not the gateways'. Random VA sleeps
/// and nonce rejections are off: neither is what the lab tests. A missing pebble fails, naming the package.
/// </remarks>
public sealed partial class LabPebble : IAsyncDisposable
{
    public const int AcmePort = 14000;
    public const int ManagementPort = 15000;

    private readonly List<Process> _processes = [];
    private readonly StringBuilder _output = new();
    private readonly string _directory;
    private readonly string _address;

    private LabPebble(string directory, string address)
    {
        _directory = directory;
        _address = address;
        RootFile = Path.Combine(directory, "tls-root.pem");
    }

    /// <summary>The ACME directory URL, as the gateways reach it.</summary>
    public Uri DirectoryUrl => new($"https://{_address}:{AcmePort}/dir");

    /// <summary>The root the TLS certificate of pebble's directory chains to (for the gateways' <c>TrustedRootFile</c>).</summary>
    public string RootFile { get; }

    /// <summary>How many orders pebble has taken so far (issued or not).</summary>
    public int OrderCount => OrderRegex().Count(Output);

    /// <summary>How many certificates pebble has issued so far.</summary>
    public int IssuedCount => IssuedRegex().Count(Output);

    /// <summary>How many ACME accounts pebble holds (one per gateway that ever issued: the account key never leaves it).</summary>
    public int AccountCount => AccountsRegex().Matches(Output).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    /// <summary>What pebble and its DNS server printed.</summary>
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

    /// <summary>
    /// Starts pebble on <paramref name="address"/> (the lab's bridge) with certificates valid for
    /// <paramref name="validity"/>, and its DNS server pointing every name at <paramref name="validatedNode"/>.
    /// </summary>
    public static async Task<LabPebble> StartAsync(string address, string validatedNode, TimeSpan validity)
    {
        foreach (var binary in new[] { "/usr/bin/pebble", "/usr/bin/pebble-challtestsrv" })
        {
            Assert.True(File.Exists(binary), $"{binary} is missing: install the Debian package 'pebble' (apt-get install -y pebble; scripts/test.sh does).");
        }

        var directory = Directory.CreateTempSubdirectory("ingress-lab-pebble-").FullName;
        var pebble = new LabPebble(directory, address);
        try
        {
            var (certificateFile, keyFile) = pebble.WriteTlsCertificate();
            var (dns, dnsManagement) = (FreePort.Next(), FreePort.Next());
            pebble.Start("/usr/bin/pebble-challtestsrv", [
                "-dns01", $"127.0.0.1:{dns}", "-http01", "", "-https01", "", "-tlsalpn01", "",
                "-management", $"127.0.0.1:{dnsManagement}", "-defaultIPv4", validatedNode, "-defaultIPv6", ""], new Dictionary<string, string>());

            var config = Path.Combine(directory, "pebble-config.json");
            await File.WriteAllTextAsync(config, $$"""
                {
                  "pebble": {
                    "listenAddress": "{{address}}:{{AcmePort}}",
                    "managementListenAddress": "{{address}}:{{ManagementPort}}",
                    "certificate": "{{certificateFile}}",
                    "privateKey": "{{keyFile}}",
                    "httpPort": {{Common.LabFixture.EntryPort}},
                    "tlsPort": 5001,
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": false,
                    "certificateValidityPeriod": {{(long)validity.TotalSeconds}}
                  }
                }
                """);
            pebble.Start("/usr/bin/pebble", ["-config", config, "-dnsserver", $"127.0.0.1:{dns}", "-strict=false"], new Dictionary<string, string>
            {
                ["PEBBLE_VA_NOSLEEP"] = "1",
                ["PEBBLE_WFE_NONCEREJECT"] = "0",
            });
            using var client = pebble.CreateClient();
            await Eventually.WaitAsync(async () => (await client.GetAsync(pebble.DirectoryUrl)).IsSuccessStatusCode, TimeSpan.FromSeconds(20), $"pebble's directory at {pebble.DirectoryUrl}");
            return pebble;
        }
        catch
        {
            await pebble.DisposeAsync();
            throw;
        }
    }

    /// <summary>Pebble's issuing root and intermediate (new at every start), from its management interface.</summary>
    public async Task<(X509Certificate2 Root, X509Certificate2 Intermediate)> GetIssuingChainAsync()
    {
        using var client = CreateClient();
        var root = await client.GetStringAsync(new Uri($"https://{_address}:{ManagementPort}/roots/0"));
        var intermediate = await client.GetStringAsync(new Uri($"https://{_address}:{ManagementPort}/intermediates/0"));
        return (X509Certificate2.CreateFromPem(root), X509Certificate2.CreateFromPem(intermediate));
    }

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

        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>A throwaway root and, signed by it, the certificate pebble serves its directory with, for the bridge's address.</summary>
    private (string CertificateFile, string KeyFile) WriteTlsCertificate()
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Ingress lab pebble TLS root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = rootRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=pebble", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Parse(_address));
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.Create(root, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(12));

        var (certificateFile, keyFile) = (Path.Combine(_directory, "tls-cert.pem"), Path.Combine(_directory, "tls-key.pem"));
        File.WriteAllText(RootFile, root.ExportCertificatePem());
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certificateFile, keyFile);
    }

    private HttpClient CreateClient()
    {
        var root = X509Certificate2.CreateFromPem(File.ReadAllText(RootFile));
        return new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { root },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
            },
        })
        { Timeout = TimeSpan.FromSeconds(10) };
    }

    private void Start(string binary, string[] args, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Pebble must not see a stray setting of the machine (PEBBLE_VA_ALWAYS_VALID would make the validation vacuous).
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("PEBBLE_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
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

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"pebble at {DirectoryUrl}: {OrderCount} orders, {IssuedCount} issued, {AccountCount} accounts");

    [GeneratedRegex(@"Issued certificate serial [0-9a-f]+ for order")]
    private static partial Regex IssuedRegex();

    [GeneratedRegex(@"Added order ""[^""]+"" to the db")]
    private static partial Regex OrderRegex();

    [GeneratedRegex(@"There are now (\d+) accounts in memory")]
    private static partial Regex AccountsRegex();
}
