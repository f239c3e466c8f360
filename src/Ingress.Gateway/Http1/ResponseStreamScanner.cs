using System.Runtime.CompilerServices;
using System.Text;

namespace Ingress.Gateway.Http1;

/// <summary>
/// Follows a replica's HTTP/1.x responses as the YARP path's <c>SocketsHttpHandler</c> reads them, to apply what the
/// relay's parsers apply and HttpClient does not: a head whose lines end in a bare LF is refused, a chunked body is
/// held to <see cref="ChunkedScanner"/>'s framing, and a bodiless response that announced a body makes the connection
/// unfit for reuse (<see cref="BodilessResponses.ForbidsReuse"/>). Incremental (heads and bodies arrive in pieces),
/// allocation-free, and blind to everything else: what HttpClient parses, HttpClient judges.
/// </summary>
internal struct ResponseStreamScanner
{
    private const int StatusLineBytes = 12; // "HTTP/1.1 200"
    private const int MaxNameBytes = 17; // "transfer-encoding"
    private const int MaxTokenBytes = 16;
    private const int BufferBytes = 24; // the longest of the three

    private State _state;
    private bool _headRequest;
    private bool _previousCr;
    private int _count;
    private int _status;
    private Field _field;
    private long _contentLength;
    private bool _transferEncoded;
    private bool _chunked;
    private int _tokenLength;
    private ChunkedScanner _chunks;
    private bool _reuseForbidden;
    private Bytes _bytes;

    private enum State : byte
    {
        /// <summary>Nothing asked yet (or <see cref="Reset"/> not called): bytes are not looked at.</summary>
        Off,
        StatusLine,
        LineStart,
        Name,
        Value,
        ChunkedBody,
        Done,
        Invalid,
    }

    private enum Field : byte
    {
        Other,
        ContentLength,
        TransferEncoding,
    }

    /// <summary>The response broke a rule; the connection must not be read any further.</summary>
    public readonly bool IsInvalid => _state == State.Invalid;

    /// <summary>The response (its head complete) makes the connection unfit for reuse.</summary>
    public readonly bool ReuseForbidden => _reuseForbidden;

    /// <summary>A request went out (<paramref name="headRequest"/>: a HEAD): what comes next is its response.</summary>
    public void Reset(bool headRequest)
    {
        this = default;
        _headRequest = headRequest;
        StartHead();
    }

    /// <summary>Stops looking at this connection's bytes (not HTTP/1.x).</summary>
    public void Stop() => _state = State.Off;

    /// <summary>
    /// Scans bytes the replica sent: how many were looked at (all of them, or fewer once there is nothing more to look
    /// at: the head of a response without a chunked body is done, or the response broke a rule, <see cref="IsInvalid"/>).
    /// </summary>
    public int Scan(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length && _state is not (State.Off or State.Done or State.Invalid))
        {
            if (_state == State.ChunkedBody)
            {
                i += _chunks.Scan(data[i..]);
                _state = _chunks.IsInvalid ? State.Invalid : _chunks.IsDone ? State.Done : State.ChunkedBody;
                continue;
            }

            Step(data[i++]);
        }

        return i;
    }

    private void StartHead()
    {
        _state = State.StatusLine;
        _count = 0;
        _contentLength = -1;
        _transferEncoded = false;
        _chunked = false;
        _previousCr = false;
    }

    private void Step(byte b)
    {
        if (_state == State.StatusLine && _count < "HTTP/1."u8.Length && b != "HTTP/1."u8[_count])
        {
            // Not an HTTP/1.x response (HTTP/2 frames, garbage): HttpClient's to judge.
            _state = State.Off;
            return;
        }

        if (b == '\n')
        {
            if (!_previousCr)
            {
                // RFC 9112 (2.2) lets a recipient take a bare LF for a line end; the relay does not, and neither does this.
                _state = State.Invalid;
                return;
            }

            _previousCr = false;
            EndLine();
            return;
        }

        if (_previousCr)
        {
            // A CR not followed by LF: HttpClient's to judge.
            _state = State.Off;
            return;
        }

        if (b == '\r')
        {
            _previousCr = true;
            return;
        }

        switch (_state)
        {
            case State.StatusLine:
                if (_count < StatusLineBytes)
                {
                    _bytes[_count] = b;
                }

                _count++;
                break;
            case State.LineStart:
                _state = State.Name;
                _count = 0;
                goto case State.Name;
            case State.Name:
                if (b == ':')
                {
                    _field = ClassifyName();
                    _state = State.Value;
                    _count = 0;
                    _tokenLength = 0;
                    if (_field == Field.ContentLength)
                    {
                        _contentLength = 0;
                    }
                }
                else if (_count < MaxNameBytes)
                {
                    _bytes[_count++] = b;
                }
                else
                {
                    _count = MaxNameBytes + 1;
                }

                break;
            case State.Value:
                Value(b);
                break;
        }
    }

    private void Value(byte b)
    {
        switch (_field)
        {
            case Field.ContentLength when b is >= (byte)'0' and <= (byte)'9':
                _contentLength = Math.Min(_contentLength * 10 + (b - '0'), long.MaxValue / 16);
                break;
            case Field.TransferEncoding:
                // The last coding decides whether the body is chunked.
                if (b == ',')
                {
                    _tokenLength = 0;
                }
                else if (_tokenLength < MaxTokenBytes)
                {
                    _bytes[_tokenLength++] = b;
                }

                break;
        }
    }

    private void EndLine()
    {
        switch (_state)
        {
            case State.StatusLine:
                if (_count < StatusLineBytes || !((ReadOnlySpan<byte>)_bytes)[..8].SequenceEqual("HTTP/1.1"u8) && !((ReadOnlySpan<byte>)_bytes)[..8].SequenceEqual("HTTP/1.0"u8)
                    || _bytes[9] is < (byte)'0' or > (byte)'9' || _bytes[10] is < (byte)'0' or > (byte)'9' || _bytes[11] is < (byte)'0' or > (byte)'9')
                {
                    _state = State.Off;
                    return;
                }

                _status = (_bytes[9] - '0') * 100 + (_bytes[10] - '0') * 10 + (_bytes[11] - '0');
                _state = State.LineStart;
                break;
            case State.LineStart:
                EndHead();
                break;
            case State.Value:
                if (_field == Field.TransferEncoding)
                {
                    _transferEncoded = true;
                    _chunked = _tokenLength <= MaxTokenBytes
                        && Ascii.EqualsIgnoreCase(HttpSyntax.TrimWhitespace(((ReadOnlySpan<byte>)_bytes)[.._tokenLength]), "chunked"u8);
                }

                _state = State.LineStart;
                break;
            default:
                // A line without a colon: HttpClient's to judge.
                _state = State.Off;
                break;
        }
    }

    private void EndHead()
    {
        if (_status == 101)
        {
            // Another protocol from here on.
            _state = State.Off;
            return;
        }

        if (_status < 200)
        {
            // An interim response: the final one follows.
            StartHead();
            return;
        }

        if (BodilessResponses.HasNoContent(_status, _headRequest))
        {
            _reuseForbidden = BodilessResponses.ForbidsReuse(_status, _headRequest, _contentLength, _transferEncoded);
            _state = State.Done;
        }
        else if (_transferEncoded && _chunked)
        {
            _chunks = default;
            _state = State.ChunkedBody;
        }
        else
        {
            _state = State.Done;
        }
    }

    private readonly Field ClassifyName()
    {
        if (_count > MaxNameBytes)
        {
            return Field.Other;
        }

        var name = ((ReadOnlySpan<byte>)_bytes)[.._count];
        return KnownHeaders.Classify(name) switch
        {
            KnownHeader.ContentLength => Field.ContentLength,
            KnownHeader.TransferEncoding => Field.TransferEncoding,
            _ => Field.Other,
        };
    }

    [InlineArray(BufferBytes)]
    private struct Bytes
    {
        private byte _element;
    }
}
