namespace Outrigger.Proxy.Direct;

/// <summary>
/// Follows a chunked body (RFC 9112 §7.1) as its bytes pass through unchanged, to find where the message ends: chunk
/// size lines (extensions ignored), chunk data, the last chunk and the trailer section. The bytes are forwarded as they
/// are, trailers included, so the next hop sees exactly what the sender wrote.
/// </summary>
internal struct ChunkedScanner
{
    private const int MaxLineBytes = 4096;

    private State _state;
    private long _remaining;
    private int _lineBytes;
    private bool _lineEmpty;
    private bool _sizeDone;
    private int _sizeDigits;

    public readonly bool IsComplete => _state == State.Done;

    public void Reset() => this = default;

    /// <summary>
    /// Consumes bytes of the body; returns how many of <paramref name="data"/> belong to it (fewer than its length only
    /// when the body ended inside it), or -1 when the framing is invalid.
    /// </summary>
    public int Scan(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length && _state != State.Done)
        {
            switch (_state)
            {
                case State.Size:
                    var b = data[i++];
                    if (b == (byte)'\n')
                    {
                        if (_sizeDigits == 0)
                        {
                            return -1;
                        }

                        _state = _remaining == 0 ? State.Trailer : State.Data;
                        _lineBytes = 0;
                        _lineEmpty = true;
                        break;
                    }

                    if (!_sizeDone && HexValue(b) is var digit and >= 0)
                    {
                        if (++_sizeDigits > 15)
                        {
                            return -1;
                        }

                        _remaining = (_remaining << 4) | (uint)digit;
                    }
                    else if (b is (byte)';' or (byte)' ' or (byte)'\t' or (byte)'\r')
                    {
                        _sizeDone = true;
                    }
                    else if (!_sizeDone || b < 0x20)
                    {
                        return -1;
                    }

                    if (++_lineBytes > MaxLineBytes)
                    {
                        return -1;
                    }

                    break;
                case State.Data:
                    var take = (int)Math.Min(_remaining, data.Length - i);
                    i += take;
                    _remaining -= take;
                    if (_remaining == 0)
                    {
                        _state = State.DataCr;
                    }

                    break;
                case State.DataCr:
                    if (data[i++] != (byte)'\r')
                    {
                        return -1;
                    }

                    _state = State.DataLf;
                    break;
                case State.DataLf:
                    if (data[i++] != (byte)'\n')
                    {
                        return -1;
                    }

                    _state = State.Size;
                    _sizeDigits = 0;
                    _sizeDone = false;
                    _lineBytes = 0;
                    break;
                case State.Trailer:
                    var t = data[i++];
                    if (t == (byte)'\n')
                    {
                        if (_lineEmpty)
                        {
                            _state = State.Done;
                        }

                        _lineEmpty = true;
                        _lineBytes = 0;
                    }
                    else if (t != (byte)'\r')
                    {
                        _lineEmpty = false;
                        if (++_lineBytes > MaxLineBytes)
                        {
                            return -1;
                        }
                    }

                    break;
            }
        }

        return i;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private enum State : byte
    {
        Size,
        Data,
        DataCr,
        DataLf,
        Trailer,
        Done,
    }
}
