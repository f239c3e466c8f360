using System.Text;

namespace Ingress.LoadTests.Measurement;

/// <summary>Counts response bodies as replica host names for one virtual user, keyed by their bytes.</summary>
/// <remarks>
/// Names are compared as bytes and decoded to strings only once, when tallies are merged, so
/// counting a response allocates nothing after its name has been seen. A handful of replicas
/// makes a linear scan the fastest lookup. Bodies beyond <see cref="MaxNameBytes"/> are cut
/// there, and names beyond <see cref="MaxDistinctNames"/> are lumped into <see cref="OverflowName"/>
/// so a target that answers with unique bodies cannot grow memory without bound.
/// </remarks>
internal sealed class HostNameTally
{
    /// <summary>Longest name kept (a DNS name is at most 253 characters).</summary>
    public const int MaxNameBytes = 256;

    /// <summary>Most distinct names tracked per virtual user.</summary>
    public const int MaxDistinctNames = 256;

    /// <summary>Bucket for names past <see cref="MaxDistinctNames"/>.</summary>
    public const string OverflowName = "(other)";

    private byte[][] _names = new byte[4][];
    private long[] _counts = new long[4];
    private int _distinct;
    private long _overflow;

    public void Count(ReadOnlySpan<byte> body)
    {
        var name = Trim(body.Length > MaxNameBytes ? body[..MaxNameBytes] : body);
        var names = _names;
        for (var i = 0; i < _distinct; i++)
        {
            if (name.SequenceEqual(names[i]))
            {
                _counts[i]++;
                return;
            }
        }

        if (_distinct == MaxDistinctNames)
        {
            _overflow++;
            return;
        }

        if (_distinct == names.Length)
        {
            Array.Resize(ref _names, names.Length * 2);
            Array.Resize(ref _counts, names.Length * 2);
        }

        _names[_distinct] = name.ToArray();
        _counts[_distinct] = 1;
        _distinct++;
    }

    public void AddTo(SortedDictionary<string, long> totals)
    {
        for (var i = 0; i < _distinct; i++)
        {
            var name = Encoding.UTF8.GetString(_names[i]);
            totals[name] = totals.GetValueOrDefault(name) + _counts[i];
        }

        if (_overflow > 0)
        {
            totals[OverflowName] = totals.GetValueOrDefault(OverflowName) + _overflow;
        }
    }

    // The Go hostname service and most echo servers end the name with a newline.
    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> body)
    {
        var start = 0;
        var end = body.Length;
        while (start < end && IsAsciiWhiteSpace(body[start]))
        {
            start++;
        }

        while (end > start && IsAsciiWhiteSpace(body[end - 1]))
        {
            end--;
        }

        return body[start..end];
    }

    private static bool IsAsciiWhiteSpace(byte value) => value is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
}
