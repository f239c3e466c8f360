using System.Net;

namespace Ingress.LoadTests.Safety;

/// <summary>
/// Keeps load on machines we own: loopback, or a host the caller named on purpose
/// (the project's own containers). A typo in a URL must never aim a load test at someone else.
/// </summary>
internal static class TargetGuard
{
    /// <summary>Returns why <paramref name="target"/> may not be loaded, or null when it may.</summary>
    /// <remarks>
    /// Host names are not resolved: a name is allowed only if it is <c>localhost</c> or listed in
    /// <paramref name="allowedHosts"/>, so DNS cannot redirect a run somewhere unintended.
    /// </remarks>
    public static string? Check(Uri target, IReadOnlyList<string> allowedHosts)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(allowedHosts);

        if (!target.IsAbsoluteUri)
        {
            return $"Target '{target}' is not an absolute URL.";
        }

        var host = target.IdnHost;
        if (IsLoopback(host))
        {
            return null;
        }

        foreach (var allowed in allowedHosts)
        {
            if (string.Equals(Unbracket(allowed), Unbracket(host), StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }

        return $"Refusing to load '{host}': only loopback (127.0.0.0/8, ::1, localhost) is allowed; "
            + "pass --allow-host " + host + " if it is one of this project's own containers.";
    }

    /// <summary>True for <c>localhost</c> and any loopback address literal, IPv4-mapped ones included.</summary>
    public static bool IsLoopback(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var bare = Unbracket(host);
        if (string.Equals(bare, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!IPAddress.TryParse(bare, out var address))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return IPAddress.IsLoopback(address);
    }

    private static string Unbracket(string host) =>
        host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
}
