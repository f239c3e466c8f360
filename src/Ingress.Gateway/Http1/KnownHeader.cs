using System.Collections.Frozen;
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
    /// The rest of <see cref="HopByHopHeaders.Names"/>: fields never forwarded in either direction (hop-by-hop and proxy
    /// fields; YARP's forwarder drops them too).
    /// </summary>
    HopByHop,

    /// <summary>
    /// <c>X-Forwarded-For</c>, <c>-Proto</c>, <c>-Host</c>, <c>-Prefix</c> and <c>Forwarded</c>: never trusted from a client. As
    /// with YARP's default transforms, the first three are replaced and the last two removed (the gateway has no path base).
    /// </summary>
    Forwarding,
}

/// <summary>Classifies header names, ignoring case: as bytes for the relay, as strings for the YARP path, from one table.</summary>
internal static class KnownHeaders
{
    private static readonly (string Name, KnownHeader Kind)[] s_table = BuildTable();

    // Grouped by length, so a header costs one length switch and at most a few comparisons.
    private static readonly (byte[] Name, KnownHeader Kind)[][] s_byLength = BuildByLength(s_table);

    private static readonly FrozenDictionary<string, KnownHeader> s_byName =
        s_table.ToFrozenDictionary(h => h.Name, h => h.Kind, StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenDictionary<string, KnownHeader>.AlternateLookup<ReadOnlySpan<char>> s_byChars =
        s_byName.GetAlternateLookup<ReadOnlySpan<char>>();

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

    public static KnownHeader Classify(string name) => s_byName.GetValueOrDefault(name);

    public static KnownHeader Classify(ReadOnlySpan<char> name) => s_byChars.TryGetValue(name, out var kind) ? kind : KnownHeader.None;

    private static (string, KnownHeader)[] BuildTable()
    {
        var table = new List<(string, KnownHeader)>
        {
            ("Host", KnownHeader.Host),
            ("Content-Length", KnownHeader.ContentLength),
            ("Transfer-Encoding", KnownHeader.TransferEncoding),
            ("Connection", KnownHeader.Connection),
            ("Upgrade", KnownHeader.Upgrade),
            ("Expect", KnownHeader.Expect),
            ("X-Forwarded-For", KnownHeader.Forwarding),
            ("X-Forwarded-Proto", KnownHeader.Forwarding),
            ("X-Forwarded-Host", KnownHeader.Forwarding),
            ("X-Forwarded-Prefix", KnownHeader.Forwarding),
            ("Forwarded", KnownHeader.Forwarding),
        };

        // The hop-by-hop list is HopByHopHeaders'; the names the parsers act on keep their own kind.
        foreach (var name in HopByHopHeaders.Names)
        {
            if (!table.Exists(h => string.Equals(h.Item1, name, StringComparison.OrdinalIgnoreCase)))
            {
                table.Add((name, KnownHeader.HopByHop));
            }
        }

        return [.. table];
    }

    private static (byte[], KnownHeader)[][] BuildByLength((string Name, KnownHeader Kind)[] headers)
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
