using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;

namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>
/// A response read from an <see cref="Http1Connection"/>: its head is parsed by the connection, its body framed per
/// RFC 9112 §6.3 (none for HEAD, 1xx, 204, 304; chunked; Content-Length; else until the upstream closes).
/// </summary>
internal sealed class Http1Response : UpstreamResponse
{
    // Smaller reads go through the connection's buffer (one read may then serve several); larger ones read straight
    // into the caller's buffer.
    private const int DirectReadBytes = 4096;

    private readonly Http1Connection _connection;
    private readonly bool _headRequest;
    private readonly bool _upgrade;
    private readonly bool _requestClose;
    private readonly List<KeyValuePair<string, string>> _headers;
    private List<KeyValuePair<string, string>>? _trailers;

    private string? _contentLength;
    private bool _duplicateContentLength;
    private string? _transferEncoding;
    private bool _close;
    private bool _keepAliveToken;

    private Http1ChunkedReader _chunked;
    private Framing _framing;
    private long _remaining;
    private bool _ended;
    private bool _keepAlive;
    private bool _tunnel;
    private int _disposed;

    public Http1Response(Http1Connection connection, UpstreamRequest request, bool requestClose)
    {
        _connection = connection;
        _headers = new(connection.LastFieldCount);
        _headRequest = request.Method == "HEAD";
        _upgrade = request.Upgrade;
        _requestClose = requestClose;
    }

    private enum Framing
    {
        None,
        ContentLength,
        Chunked,
        UntilClose,
    }

    public override IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    public override IReadOnlyList<KeyValuePair<string, string>> Trailers => (IReadOnlyList<KeyValuePair<string, string>>?)_trailers ?? [];

    /// <summary>Parses a complete head (status line up to its empty line).</summary>
    internal void ParseHead(ReadOnlySpan<byte> head, Http1FieldCache fields)
    {
        var position = 0;
        (StatusCode, Version) = Http1HeadParser.ParseStatusLine(Http1HeadParser.NextLine(head, ref position));
        while (true)
        {
            var line = Http1HeadParser.NextLine(head, ref position);
            if (line.Length == 0)
            {
                _connection.LastFieldCount = Math.Max(_headers.Count, 4);
                return;
            }

            var id = Http1HeadParser.ParseField(line, fields, out var name, out var value);
            _headers.Add(new(name, value));
            switch (id)
            {
                case Http1KnownHeaders.ContentLength:
                    _duplicateContentLength |= _contentLength is not null;
                    _contentLength = value;
                    break;
                case Http1KnownHeaders.TransferEncoding:
                    _transferEncoding = _transferEncoding is null ? value : _transferEncoding + ", " + value;
                    break;
                case Http1KnownHeaders.Connection:
                    ReadConnectionOptions(value);
                    break;
            }
        }
    }

    /// <summary>Forgets an interim (1xx) head before the next one is parsed.</summary>
    internal void ClearHead()
    {
        _headers.Clear();
        _contentLength = null;
        _duplicateContentLength = false;
        _transferEncoding = null;
        _close = false;
        _keepAliveToken = false;
    }

    /// <summary>Decides how the body of the final response is delimited; throws for framing that cannot be trusted.</summary>
    internal void DecideFraming()
    {
        _keepAlive = !_close && !_requestClose && (Version == HttpVersion.Version11 || _keepAliveToken);
        if (_headRequest || StatusCode < 200 || StatusCode is 204 or 304)
        {
            _framing = Framing.None;
            _ended = true;
            _keepAlive &= StatusCode != 101;
            return;
        }

        if (_transferEncoding is not null)
        {
            if (_contentLength is not null)
            {
                throw Error("upstream sent both Transfer-Encoding and Content-Length");
            }

            if (!IsChunkedOnly(_transferEncoding))
            {
                throw Error($"upstream sent an unsupported Transfer-Encoding '{_transferEncoding}' (only chunked is understood)");
            }

            _framing = Framing.Chunked;
        }
        else if (_contentLength is not null)
        {
            if (_duplicateContentLength)
            {
                throw Error("upstream sent more than one Content-Length");
            }

            if (_contentLength.Length is 0 or > 18 || _contentLength.AsSpan().ContainsAnyExceptInRange('0', '9'))
            {
                throw Error($"upstream sent an invalid Content-Length '{_contentLength}'");
            }

            _remaining = long.Parse(_contentLength, NumberStyles.None, CultureInfo.InvariantCulture);
            _framing = Framing.ContentLength;
            _ended = _remaining == 0;
        }
        else
        {
            _framing = Framing.UntilClose;
            _keepAlive = false;
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken token)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_ended)
        {
            return new(0);
        }

        if (buffer.Length == 0)
        {
            throw new ArgumentException("Reading a response body needs a non-empty buffer.", nameof(buffer));
        }

        switch (_framing)
        {
            case Framing.ContentLength:
                var fromBuffer = CopyBuffered(buffer.Span, _remaining);
                return fromBuffer > 0 ? new(fromBuffer) : ReadFixedAsync(buffer, token);
            case Framing.Chunked:
                var chunked = ReadChunkedBuffered(buffer.Span);
                return chunked >= 0 ? new(chunked) : ReadChunkedAsync(buffer, token);
            default:
                var untilClose = CopyBuffered(buffer.Span, long.MaxValue);
                return untilClose > 0 ? new(untilClose) : ReadUntilCloseAsync(buffer, token);
        }
    }

    public override Stream OpenTunnel()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (StatusCode != 101 || !_upgrade || _tunnel)
        {
            throw new InvalidOperationException("A tunnel opens once, after a 101 response to an upgrade request.");
        }

        _tunnel = true;
        return _connection.OpenTunnel();
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && !_tunnel)
        {
            _connection.Release(_ended, _keepAlive);
        }
    }

    private static UpstreamException Error(string message) => new(UpstreamFailure.Exchange, message);

    private static bool IsChunkedOnly(string codings)
    {
        var chunked = 0;
        foreach (var range in codings.AsSpan().Split(','))
        {
            var coding = codings.AsSpan(range).Trim(" \t");
            if (coding.Length == 0)
            {
                continue;
            }

            if (!coding.Equals("chunked", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            chunked++;
        }

        return chunked == 1;
    }

    private void ReadConnectionOptions(string value)
    {
        foreach (var range in value.AsSpan().Split(','))
        {
            var option = value.AsSpan(range).Trim(" \t");
            _close |= option.Equals("close", StringComparison.OrdinalIgnoreCase);
            _keepAliveToken |= option.Equals("keep-alive", StringComparison.OrdinalIgnoreCase);
        }
    }

    private int CopyBuffered(Span<byte> destination, long limit)
    {
        var buffered = _connection.Buffered;
        var count = (int)Math.Min(Math.Min(buffered.Length, destination.Length), limit);
        if (count > 0)
        {
            buffered[..count].CopyTo(destination);
            _connection.Consume(count);
            if (_framing == Framing.ContentLength)
            {
                _remaining -= count;
                _ended = _remaining == 0;
            }
        }

        return count;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadFixedAsync(Memory<byte> buffer, CancellationToken token)
    {
        try
        {
            var want = (int)Math.Min(buffer.Length, _remaining);
            if (want >= DirectReadBytes)
            {
                var read = await _connection.ReadDirectAsync(buffer[..want], token).ConfigureAwait(false);
                _remaining -= read;
                _ended = _remaining == 0;
                return read > 0 ? read : throw ShortBody();
            }

            return await _connection.FillAsync(token).ConfigureAwait(false) > 0 ? CopyBuffered(buffer.Span, _remaining) : throw ShortBody();
        }
        catch (Exception ex) when (ex is not UpstreamException && !(ex is OperationCanceledException && token.IsCancellationRequested))
        {
            throw _connection.Failure(ex, "during the response body");
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadUntilCloseAsync(Memory<byte> buffer, CancellationToken token)
    {
        try
        {
            if (buffer.Length >= DirectReadBytes)
            {
                var read = await _connection.ReadDirectAsync(buffer, token).ConfigureAwait(false);
                _ended = read == 0;
                return read;
            }

            var filled = await _connection.FillAsync(token).ConfigureAwait(false);
            _ended = filled == 0;
            return filled > 0 ? CopyBuffered(buffer.Span, long.MaxValue) : 0;
        }
        catch (Exception ex) when (ex is not UpstreamException && !(ex is OperationCanceledException && token.IsCancellationRequested))
        {
            throw _connection.Failure(ex, "during the response body");
        }
    }

    /// <summary>Body bytes from what is buffered (crossing chunk boundaries as needed); 0 at the end; -1 when bytes must be read first.</summary>
    private int ReadChunkedBuffered(Span<byte> destination)
    {
        var count = _chunked.Read(_connection, destination, ref _trailers);
        _ended = _chunked.Ended;
        return count;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadChunkedAsync(Memory<byte> buffer, CancellationToken token)
    {
        try
        {
            while (true)
            {
                if (_chunked.InData && buffer.Length >= DirectReadBytes)
                {
                    var read = await _connection.ReadDirectAsync(buffer[..(int)Math.Min(buffer.Length, _chunked.ChunkRemaining)], token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw ShortBody();
                    }

                    _chunked.DataRead(_connection, read, ref _trailers);
                    _ended = _chunked.Ended;
                    return read;
                }

                if (await _connection.FillAsync(token).ConfigureAwait(false) == 0)
                {
                    throw ShortBody();
                }

                var count = ReadChunkedBuffered(buffer.Span);
                if (count >= 0)
                {
                    return count;
                }
            }
        }
        catch (Exception ex) when (ex is not UpstreamException && !(ex is OperationCanceledException && token.IsCancellationRequested))
        {
            throw _connection.Failure(ex, "during the response body");
        }
    }

    private UpstreamException ShortBody() => Error(_framing == Framing.ContentLength
        ? $"upstream closed the connection {_remaining} bytes before the end of the response body"
        : "upstream closed the connection in the middle of a chunked response body");
}
