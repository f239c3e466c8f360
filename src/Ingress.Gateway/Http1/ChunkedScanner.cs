using System.Runtime.CompilerServices;

namespace Ingress.Gateway.Http1;

/// <summary>
/// Follows a chunked body (RFC 9112, section 7.1) as it streams through, without copying it, to find where it ends.
/// The relay passes the bytes on unchanged but for the trailer fields <see cref="HopByHopHeaders.IsForbiddenInTrailers(KnownHeader)"/>
/// names (<see cref="Relay"/>); this needs to know when the last chunk and the trailers are done, and that the framing
/// is sound, so a replica cannot make the relay forward bytes of one response as another's.
/// </summary>
internal struct ChunkedScanner
{
    /// <summary>
    /// How many bytes of a trailer field's name are held back while it is undecided: more than the longest forbidden
    /// name, so a longer name is kept as soon as it is this long.
    /// </summary>
    public const int MaxHeldName = 32;

    /// <summary>Longest chunk-size in hex digits (2^60 bytes): more is an attack, not a body.</summary>
    private const int MaxSizeDigits = 15;

    /// <summary>Longest chunk extension or trailer line the scanner skips.</summary>
    private const int MaxLineLength = 4096;

    private State _state;
    private long _remaining;
    private int _lineLength;
    private bool _trailerColon;

    // Trailer filtering (Relay): the field being read is undecided (its name not complete), or being dropped.
    private bool _undecided;
    private bool _dropping;
    private int _heldLength;
    private HeldName _held;

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

    /// <summary>
    /// <see cref="Scan"/> for the relay, in place: the <paramref name="length"/> bytes at <paramref name="start"/> of
    /// <paramref name="buffer"/> are scanned, and what the client gets is
    /// <c>buffer[outputStart..(outputStart + outputLength)]</c>: the same bytes, less the forbidden trailer fields. A trailer
    /// field whose name is not complete yet is held back until it is; it is then put back before <paramref name="start"/>,
    /// so up to <see cref="MaxHeldName"/> bytes before it must be free (the upstream buffer's headroom).
    /// </summary>
    /// <returns>How many of the bytes belong to the body, as <see cref="Scan"/>.</returns>
    public int Relay(Span<byte> buffer, int start, int length, out int outputStart, out int outputLength)
    {
        var write = start;
        var lineStart = -1;
        outputStart = start;
        if (_heldLength > 0)
        {
            // The name that was held back goes just before this read's bytes, which continue it.
            outputStart = start - _heldLength;
            ((ReadOnlySpan<byte>)_held)[.._heldLength].CopyTo(buffer[outputStart..]);
            lineStart = outputStart;
            _heldLength = 0;
        }

        var i = start;
        var end = start + length;
        while (i < end && _state is not (State.Done or State.Invalid))
        {
            if (_state == State.Data)
            {
                // Chunk data: nothing was taken out before it (trailers come last), so it stays where it is.
                var take = (int)Math.Min(_remaining, end - i);
                i += take;
                write += take;
                _remaining -= take;
                if (_remaining == 0)
                {
                    _state = State.DataCr;
                }

                continue;
            }

            var b = buffer[i++];
            var before = _state;
            Step(b);
            if (before == State.TrailerStart && _state == State.Trailer)
            {
                lineStart = write;
                _undecided = true;
            }

            if (!_dropping)
            {
                buffer[write++] = b;
            }

            if (_undecided && (b == ':' || write - lineStart > MaxHeldName || _state != State.Trailer))
            {
                _undecided = false;
                if (b == ':' && HopByHopHeaders.IsForbiddenInTrailers(KnownHeaders.Classify(buffer[lineStart..(write - 1)])))
                {
                    _dropping = true;
                    write = lineStart;
                }
            }

            if (_dropping && before == State.TrailerLf)
            {
                // The dropped field's line ended with that LF.
                _dropping = false;
            }
        }

        if (_undecided && _state == State.Trailer)
        {
            // The name goes on in the next read: held back until it is known.
            _heldLength = write - lineStart;
            buffer[lineStart..write].CopyTo(_held);
            write = lineStart;
        }

        outputLength = write - outputStart;
        return i - start;
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

    [InlineArray(MaxHeldName)]
    private struct HeldName
    {
        private byte _element;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
