using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Ingress.Testing.Acme;

namespace Ingress.Lab.Tests.Acme;

/// <summary>
/// A real ACME server for the lab: the shared <see cref="PebbleHost"/> listening on the lab bridge's address, which every
/// node and every container in it reaches, with its DNS server answering every A query with one node's address, so that
/// pebble's VA fetches HTTP-01 answers from that node's entry port, as a CA on the Internet would.
/// </summary>
/// <remarks>
/// What the lab adds: the fixed ports, certificates that live as long as the test says, no nonce rejections (not what the
/// lab tests), and orders counted from pebble's own log ("Issued certificate serial"): the certificate authority's word,
/// not the gateways'.
/// </remarks>
public sealed partial class LabPebble : IAsyncDisposable
{
    public const int AcmePort = 14000;
    public const int ManagementPort = 15000;

    private readonly PebbleHost _host;

    private LabPebble(PebbleHost host) => _host = host;

    /// <summary>The ACME directory URL, as the gateways reach it.</summary>
    public Uri DirectoryUrl => _host.DirectoryUrl;

    /// <summary>The root the TLS certificate of pebble's directory chains to (for the gateways' <c>TrustedRootFile</c>).</summary>
    public string RootFile => _host.Tls.RootFile;

    /// <summary>How many orders pebble has taken so far (issued or not).</summary>
    public int OrderCount => OrderRegex().Count(Output);

    /// <summary>How many certificates pebble has issued so far.</summary>
    public int IssuedCount => IssuedRegex().Count(Output);

    /// <summary>How many ACME accounts pebble holds (one per gateway that ever issued: the account key never leaves it).</summary>
    public int AccountCount => AccountsRegex().Matches(Output).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    /// <summary>What pebble and its DNS server printed.</summary>
    public string Output => _host.Output;

    /// <summary>
    /// Starts pebble on <paramref name="address"/> (the lab's bridge) with certificates valid for
    /// <paramref name="validity"/>, and its DNS server pointing every name at <paramref name="validatedNode"/>.
    /// </summary>
    public static async Task<LabPebble> StartAsync(string address, string validatedNode, TimeSpan validity) =>
        new LabPebble(await PebbleHost.StartAsync(new PebbleOptions
        {
            ListenAddress = IPAddress.Parse(address),
            ValidatedAddress = IPAddress.Parse(validatedNode),
            AcmePort = AcmePort,
            ManagementPort = ManagementPort,
            HttpPort = Common.LabFixture.EntryPort,
            CertificateValidity = validity,
            Environment = new Dictionary<string, string> { ["PEBBLE_WFE_NONCEREJECT"] = "0" },
        }));

    /// <summary>Pebble's issuing root and intermediate (new at every start), from its management interface.</summary>
    public async Task<(X509Certificate2 Root, X509Certificate2 Intermediate)> GetIssuingChainAsync() =>
        (await _host.GetIssuingRootAsync(), await _host.GetIssuingIntermediateAsync());

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"pebble at {DirectoryUrl}: {OrderCount} orders, {IssuedCount} issued, {AccountCount} accounts");

    [GeneratedRegex(@"Issued certificate serial [0-9a-f]+ for order")]
    private static partial Regex IssuedRegex();

    [GeneratedRegex(@"Added order ""[^""]+"" to the db")]
    private static partial Regex OrderRegex();

    [GeneratedRegex(@"There are now (\d+) accounts in memory")]
    private static partial Regex AccountsRegex();
}
