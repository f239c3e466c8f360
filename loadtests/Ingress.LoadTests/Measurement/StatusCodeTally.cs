namespace Ingress.LoadTests.Measurement;

/// <summary>Counts responses by status code for one virtual user.</summary>
/// <remarks>
/// A run sees one or two distinct codes, so a short array scanned linearly beats a dictionary
/// and costs nothing per response once a code has been seen.
/// </remarks>
internal sealed class StatusCodeTally
{
    private int[] _codes = new int[4];
    private long[] _counts = new long[4];
    private int _distinct;

    public void Count(int statusCode)
    {
        var codes = _codes;
        for (var i = 0; i < _distinct; i++)
        {
            if (codes[i] == statusCode)
            {
                _counts[i]++;
                return;
            }
        }

        if (_distinct == codes.Length)
        {
            Array.Resize(ref _codes, codes.Length * 2);
            Array.Resize(ref _counts, codes.Length * 2);
        }

        _codes[_distinct] = statusCode;
        _counts[_distinct] = 1;
        _distinct++;
    }

    public void AddTo(SortedDictionary<int, long> totals)
    {
        for (var i = 0; i < _distinct; i++)
        {
            totals[_codes[i]] = totals.GetValueOrDefault(_codes[i]) + _counts[i];
        }
    }
}
