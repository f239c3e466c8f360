namespace Ingress.Gateway.Http1;

/// <summary>
/// Follows a chunked body (RFC 9112, section 7.1) as it streams through, without copying it, to find where it ends.
/// The relay passes the bytes on unchanged; this only needs to know when the last chunk and the trailers are done,
/// and that the framing is sound, so a replica cannot make the relay forward bytes of one response as another's.
/// </summary>
internal struct ChunkedScanner
{
    /// <summary>Longest chunk-size in hex digits (2^60 bytes): more is an attack, not a body.</summary>
    private const int MaxSizeDigits = 15;

    /// <summary>Longest chunk extension or trailer line the scanner skips.</summary>
    private const int MaxLineLength = 4096;

    private State _state;
    private long _remaining;
    private int _lineLength;
    private bool _trailerColon;

    private enum State : byte
    {
        SizeStart,
        Size,
        SizeWhitespace,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,
        Trailer,
        TrailerLf,
        FinalLf,
        Done,
        Invalid,
    }

    /// <summary>The body's last byte has been scanned.</summary>
    public readonly bool IsDone => _state == State.Done;

    /// <summary>The framing is broken.</summary>
    public readonly bool IsInvalid => _state == State.Invalid;

    /// <summary>
    /// Scans <paramref name="data"/>, returning how many of its bytes belong to the body: all of them, or fewer once
    /// the body ends (what follows is not part of this response), or up to where the framing broke.
    /// </summary>
    public int Scan(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length && _state is not (State.Done or State.Invalid))
        {
            if (_state == State.Data)
            {
                var take = (int)Math.Min(_remaining, data.Length - i);
                i += take;
                _remaining -= take;
                if (_remaining == 0)
                {
                    _state = State.DataCr;
                }

                continue;
            }

            Step(data[i++]);
        }

        return i;
    }

    private void Step(byte b)
    {
        switch (_state)
        {
            case State.SizeStart:
            case State.Size:
                var digit = HexValue(b);
                if (digit >= 0)
                {
                    if (++_lineLength > MaxSizeDigits)
                    {
                        _state = State.Invalid;
                        return;
                    }

                    _remaining = (_remaining << 4) | (uint)digit;
                    _state = State.Size;
                }
                else if (_state == State.Size)
                {
                    SizeEnded(b);
                }
                else
                {
                    _state = State.Invalid;
                }

                break;
            case State.SizeWhitespace:
                // Whitespace after the size (RFC 9112's BWS before an extension): then only an extension or the line's end.
                if (b is not ((byte)' ' or (byte)'\t') || ++_lineLength > MaxLineLength)
                {
                    SizeEnded(b);
                }

                break;
            case State.Extension:
                if (b == '\r')
                {
                    _state = State.SizeLf;
                }
                else if (IsControl(b) || ++_lineLength > MaxLineLength)
                {
                    _state = State.Invalid;
                }

                break;
            case State.SizeLf:
                _lineLength = 0;
                _state = b != '\n' ? State.Invalid : _remaining == 0 ? State.TrailerStart : State.Data;
                break;
            case State.DataCr:
                _state = b == '\r' ? State.DataLf : State.Invalid;
                break;
            case State.DataLf:
                _state = b == '\n' ? State.SizeStart : State.Invalid;
                break;
            case State.TrailerStart:
                // A trailer field starts with a name: no whitespace (obsolete line folding), no control bytes, no colon.
                _lineLength = 0;
                _trailerColon = false;
                _state = b == '\r' ? State.FinalLf : HttpSyntax.TokenChars.Contains(b) ? State.Trailer : State.Invalid;
                break;
            case State.Trailer:
                if (b == '\r')
                {
                    _state = _trailerColon ? State.TrailerLf : State.Invalid;
                }
                else if (IsControl(b) || ++_lineLength > MaxLineLength || (!_trailerColon && b != ':' && !HttpSyntax.TokenChars.Contains(b)))
                {
                    _state = State.Invalid;
                }
                else
                {
                    _trailerColon |= b == ':';
                }

                break;
            case State.TrailerLf:
                _state = b == '\n' ? State.TrailerStart : State.Invalid;
                break;
            case State.FinalLf:
                _state = b == '\n' ? State.Done : State.Invalid;
                break;
        }
    }

    /// <summary>After the size's last digit: whitespace, an extension, or the end of the line.</summary>
    private void SizeEnded(byte b)
    {
        switch (b)
        {
            case (byte)' ' or (byte)'\t':
                _state = State.SizeWhitespace;
                _lineLength = 0;
                break;
            case (byte)';':
                _state = State.Extension;
                _lineLength = 0;
                break;
            case (byte)'\r':
                _state = State.SizeLf;
                break;
            default:
                _state = State.Invalid;
                break;
        }
    }

    /// <summary>A control byte other than horizontal tab (a bare LF among them): never inside a field.</summary>
    private static bool IsControl(byte b) => (b < 0x20 && b != '\t') || b == 0x7F;

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
