using System.Text;

namespace Ingress.Gateway.Http1;

/// <summary>The header names the relay acts on; every other header passes through untouched.</summary>
internal enum KnownHeader : byte
{
    /// <summary>Forwarded as is.</summary>
    None,
    Host,
    ContentLength,
    TransferEncoding,
    Connection,
    Upgrade,
    Expect,

    /// <summary>
    /// A header the YARP pipeline never forwards in either direction (hop-by-hop and proxy headers; the set of YARP's
    /// <c>RequestUtilities</c>), so the relay drops it too.
    /// </summary>
    HopByHop,

    /// <summary>
    /// <c>X-Forwarded-For</c>, <c>-Proto</c>, <c>-Host</c>, <c>-Prefix</c> and <c>Forwarded</c>: never trusted from a client. As
    /// with YARP's default transforms, the first three are replaced and the last two removed (the gateway has no path base).
    /// </summary>
    Forwarding,
}

/// <summary>Classifies header names, ignoring case.</summary>
internal static class KnownHeaders
{
    // Grouped by length, so a header costs one length switch and at most a few comparisons.
    private static readonly (byte[] Name, KnownHeader Kind)[][] s_byLength = Build(
        ("Host", KnownHeader.Host),
        ("Content-Length", KnownHeader.ContentLength),
        ("Transfer-Encoding", KnownHeader.TransferEncoding),
        ("Connection", KnownHeader.Connection),
        ("Upgrade", KnownHeader.Upgrade),
        ("Expect", KnownHeader.Expect),
        ("Keep-Alive", KnownHeader.HopByHop),
        ("Proxy-Connection", KnownHeader.HopByHop),
        ("Proxy-Authenticate", KnownHeader.HopByHop),
        ("Proxy-Authentication-Info", KnownHeader.HopByHop),
        ("Proxy-Authorization", KnownHeader.HopByHop),
        ("Proxy-Features", KnownHeader.HopByHop),
        ("Proxy-Instruction", KnownHeader.HopByHop),
        ("Security-Scheme", KnownHeader.HopByHop),
        ("ALPN", KnownHeader.HopByHop),
        ("Close", KnownHeader.HopByHop),
        ("HTTP2-Settings", KnownHeader.HopByHop),
        ("Upgrade-Insecure-Requests", KnownHeader.HopByHop),
        ("TE", KnownHeader.HopByHop),
        ("Alt-Svc", KnownHeader.HopByHop),
        ("X-Forwarded-For", KnownHeader.Forwarding),
        ("X-Forwarded-Proto", KnownHeader.Forwarding),
        ("X-Forwarded-Host", KnownHeader.Forwarding),
        ("X-Forwarded-Prefix", KnownHeader.Forwarding),
        ("Forwarded", KnownHeader.Forwarding));

    public static KnownHeader Classify(ReadOnlySpan<byte> name)
    {
        if ((uint)name.Length >= (uint)s_byLength.Length)
        {
            return KnownHeader.None;
        }

        foreach (var (candidate, kind) in s_byLength[name.Length])
        {
            if (Ascii.EqualsIgnoreCase(name, candidate))
            {
                return kind;
            }
        }

        return KnownHeader.None;
    }

    private static (byte[], KnownHeader)[][] Build(params (string Name, KnownHeader Kind)[] headers)
    {
        var longest = headers.Max(h => h.Name.Length);
        var table = new List<(byte[], KnownHeader)>[longest + 1];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = [];
        }

        foreach (var (name, kind) in headers)
        {
            table[name.Length].Add((Encoding.ASCII.GetBytes(name), kind));
        }

        return [.. table.Select(list => list.ToArray())];
    }
}
