using System.Runtime.CompilerServices;

namespace Ingress.Gateway.Http1;

/// <summary>
/// The header lines of a head that are not forwarded, as (start, length) pairs in the order they appear, with their
/// CRLF. A fixed-size value, so parsing a head allocates nothing; a head with more such lines is handed to Kestrel.
/// </summary>
internal struct LineRanges
{
    /// <summary>How many lines one head may have dropped; real requests have one or two (Host, Connection).</summary>
    public const int Capacity = 16;

    private Starts _starts;
    private Lengths _lengths;

    public int Count { get; private set; }

    public readonly int Start(int index) => _starts[index];

    public readonly int Length(int index) => _lengths[index];

    /// <summary>Adds a line; false when there is no room.</summary>
    public bool TryAdd(int start, int length)
    {
        if (Count == Capacity)
        {
            return false;
        }

        _starts[Count] = start;
        _lengths[Count] = length;
        Count++;
        return true;
    }

    /// <summary>Adds a line where it belongs among the others (they stay in order); false when there is no room.</summary>
    public bool TryInsert(int start, int length)
    {
        if (Count == Capacity)
        {
            return false;
        }

        var at = Count;
        while (at > 0 && _starts[at - 1] > start)
        {
            _starts[at] = _starts[at - 1];
            _lengths[at] = _lengths[at - 1];
            at--;
        }

        _starts[at] = start;
        _lengths[at] = length;
        Count++;
        return true;
    }

    [InlineArray(Capacity)]
    private struct Starts
    {
        private int _element;
    }

    [InlineArray(Capacity)]
    private struct Lengths
    {
        private int _element;
    }
}
