namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>
/// The state of a chunked response body (RFC 9112 §7.1) read from a connection's buffer: chunk-size lines, data, the CRLF
/// after each chunk's data, and the trailer section after the last chunk.
/// </summary>
internal struct Http1ChunkedReader
{
    private const int MaxChunkLine = 4096;
    private const int MaxSizeDigits = 15;

    private State _state;
    private long _chunkRemaining;
    private int _trailerScanned;

    private enum State
    {
        Size,
        Data,
        DataEnd,
        Trailers,
        Done,
    }

    public readonly bool Ended => _state == State.Done;

    public readonly bool InData => _state == State.Data;

    public readonly long ChunkRemaining => _chunkRemaining;

    /// <summary>Copies body bytes from the buffer; 0 at the end of the body; -1 when more bytes must be read first.</summary>
    public int Read(Http1Connection connection, Span<byte> destination, ref List<KeyValuePair<string, string>>? trailers)
    {
        while (true)
        {
            switch (_state)
            {
                case State.Done:
                    return 0;
                case State.Data:
                    var buffered = connection.Buffered;
                    if (buffered.Length == 0)
                    {
                        return -1;
                    }

                    var count = (int)Math.Min(Math.Min(buffered.Length, destination.Length), _chunkRemaining);
                    buffered[..count].CopyTo(destination);
                    connection.Consume(count);
                    DataRead(connection, count, ref trailers);
                    return count;
                default:
                    if (!Advance(connection, ref trailers))
                    {
                        return -1;
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// Accounts for <paramref name="count"/> data bytes read, and at a chunk's end goes on through what is buffered (so a
    /// body whose last chunk is already here ends now, and its connection can be reused without another read).
    /// </summary>
    public void DataRead(Http1Connection connection, int count, ref List<KeyValuePair<string, string>>? trailers)
    {
        _chunkRemaining -= count;
        if (_chunkRemaining > 0)
        {
            return;
        }

        _state = State.DataEnd;
        try
        {
            Advance(connection, ref trailers);
        }
        catch (UpstreamException)
        {
            // Nothing is consumed by a failed step: the next read meets the same bytes and reports them.
        }
    }

    /// <summary>Consumes chunk metadata from the buffer; false when more bytes are needed.</summary>
    private bool Advance(Http1Connection connection, ref List<KeyValuePair<string, string>>? trailers)
    {
        while (true)
        {
            var buffered = connection.Buffered;
            switch (_state)
            {
                case State.Size:
                    var lf = buffered.IndexOf((byte)'\n');
                    if (lf < 0)
                    {
                        return buffered.Length <= MaxChunkLine ? false : throw Error($"upstream sent a chunk-size line longer than {MaxChunkLine} bytes");
                    }

                    var size = ParseSize(buffered[..lf]);
                    connection.Consume(lf + 1);
                    _chunkRemaining = size;
                    _state = size == 0 ? State.Trailers : State.Data;
                    break;
                case State.DataEnd:
                    if (buffered.Length == 0 || (buffered[0] == (byte)'\r' && buffered.Length == 1))
                    {
                        return false;
                    }

                    var end = buffered[0] == (byte)'\n' ? 1 : buffered[0] == (byte)'\r' && buffered[1] == (byte)'\n' ? 2 : 0;
                    if (end == 0)
                    {
                        throw Error($"upstream sent chunk data longer than its chunk size (then '{Http1HeadParser.Printable(buffered[..Math.Min(buffered.Length, 20)])}')");
                    }

                    connection.Consume(end);
                    _state = State.Size;
                    break;
                case State.Trailers:
                    return ReadTrailers(connection, ref trailers);
                default:
                    return true;
            }
        }
    }

    private bool ReadTrailers(Http1Connection connection, ref List<KeyValuePair<string, string>>? trailers)
    {
        var buffered = connection.Buffered;
        var end = Http1HeadParser.FindEnd(buffered, ref _trailerScanned);
        if ((end < 0 ? buffered.Length : end) > connection.MaxHeadBytes)
        {
            throw Error($"upstream sent trailers larger than {connection.MaxHeadBytes} bytes");
        }

        if (end < 0)
        {
            return false;
        }

        var section = buffered[..end];
        var position = 0;
        while (true)
        {
            var line = Http1HeadParser.NextLine(section, ref position);
            if (line.Length == 0)
            {
                break;
            }

            Http1HeadParser.ParseField(line, connection.Fields, out var name, out var value);
            (trailers ??= []).Add(new(name, value));
        }

        connection.Consume(end);
        _state = State.Done;
        return true;
    }

    private static long ParseSize(ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        long size = 0;
        var digits = 0;
        for (; digits < line.Length && char.IsAsciiHexDigit((char)line[digits]); digits++)
        {
            if (digits == MaxSizeDigits)
            {
                throw Error($"upstream sent a chunk size that is too large: '{Http1HeadParser.Printable(line)}'");
            }

            size = (size << 4) | (long)HexValue(line[digits]);
        }

        var rest = line[digits..].TrimStart(" \t"u8);
        if (digits == 0 || (rest.Length > 0 && rest[0] != (byte)';') || rest.Contains((byte)'\r'))
        {
            throw Error($"upstream sent a bad chunk size: '{Http1HeadParser.Printable(line)}'");
        }

        return size;
    }

    private static int HexValue(byte digit) => digit <= '9' ? digit - '0' : (digit | 0x20) - 'a' + 10;

    private static UpstreamException Error(string message) => new(UpstreamFailure.Exchange, message);
}
