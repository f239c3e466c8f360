using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ingress.Gateway.Discovery.Control;

/// <summary>
/// Where the manager gateways are: <see cref="ControlOptions.Managers"/> parsed once, resolved on demand. In a stack the
/// name is a network alias that only manager gateways carry on the control network, so it resolves to their addresses
/// there and nowhere else.
/// </summary>
internal sealed class ManagerDirectory
{
    private readonly (string Host, int Port)[] _entries;

    public ManagerDirectory(string managers, int defaultPort)
    {
        _entries = [.. Parse(managers, defaultPort, out var errors)];
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(managers));
        }
    }

    /// <summary>Resolves a host name; replaceable so tests can simulate DNS.</summary>
    internal Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; } = System.Net.Dns.GetHostAddressesAsync;

    /// <summary>The manager gateways' control endpoints, IPv4 first, in a stable order, and why any name did not resolve.</summary>
    public async Task<(IReadOnlyList<IPEndPoint> Endpoints, string? Error)> ResolveAsync(CancellationToken cancellationToken)
    {
        var endpoints = new List<IPEndPoint>();
        List<string>? errors = null;
        foreach (var (host, port) in _entries)
        {
            if (IPAddress.TryParse(host, out var literal))
            {
                endpoints.Add(new IPEndPoint(literal, port));
                continue;
            }

            try
            {
                foreach (var address in await Resolve(host, cancellationToken).ConfigureAwait(false))
                {
                    endpoints.Add(new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, port));
                }
            }
            catch (SocketException ex)
            {
                (errors ??= []).Add($"{host} does not resolve ({ex.SocketErrorCode}): no manager gateway is running, or this gateway is not on the control network");
            }
        }

        var ordered = endpoints
            .Distinct()
            .OrderBy(e => e.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
            .ThenBy(e => e.Address.ToString(), StringComparer.Ordinal)
            .ThenBy(e => e.Port)
            .ToList();
        return (ordered, errors is null ? null : string.Join("; ", errors));
    }

    /// <summary>
    /// Parses <c>host[:port]</c>, comma-separated (IPv6 literals in brackets); <paramref name="errors"/> says what is wrong
    /// with each entry that is not one.
    /// </summary>
    public static List<(string Host, int Port)> Parse(string? managers, int defaultPort, out List<string> errors)
    {
        errors = [];
        var entries = new List<(string, int)>();
        foreach (var raw in (managers ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var host = raw;
            var port = defaultPort;
            var colon = raw.LastIndexOf(':');
            if (raw.StartsWith('['))
            {
                var close = raw.IndexOf(']', StringComparison.Ordinal);
                host = close > 0 ? raw[1..close] : raw;
                colon = close > 0 && close + 1 < raw.Length && raw[close + 1] == ':' ? close + 1 : -1;
            }
            else if (colon > 0 && raw.IndexOf(':') == colon)
            {
                host = raw[..colon];
            }
            else
            {
                colon = -1;
            }

            if (colon > 0 && (!int.TryParse(raw[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            {
                errors.Add($"'{raw}' has no valid port (1-65535).");
                continue;
            }

            if (!IPAddress.TryParse(host, out _) && Uri.CheckHostName(host) != UriHostNameType.Dns)
            {
                errors.Add($"'{raw}' is not a host name or an IP address.");
                continue;
            }

            entries.Add((host, port));
        }

        if (entries.Count == 0 && errors.Count == 0)
        {
            errors.Add("no manager gateway is named.");
        }

        return entries;
    }
}
