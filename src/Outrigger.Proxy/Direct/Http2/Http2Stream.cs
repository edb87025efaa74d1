using System.Buffers;
using System.Text;

namespace Outrigger.Proxy.Direct.Http2;

/// <summary>
/// One request on an HTTP/2 connection: its header block becomes an HTTP/1.1 head (checked by <see cref="DirectRequest"/>
/// as on the HTTP/1.1 direct path), its DATA frames a body queue, and Http2Stream.Exchange.cs forwards it. Objects are
/// reused for later streams of the connection.
/// </summary>
internal sealed partial class Http2Stream : IHpackHandler
{
    private readonly Http2Connection _connection;
    private readonly DirectRequest _request = new(http2: true);
    private readonly HeadBuilder _fields = new(1024);
    private readonly HeadBuilder _pseudo = new(256);
    private readonly HeadBuilder _cookies = new(256);
    private readonly Queue<(byte[] Array, int Length)> _body = new();
    private readonly TrailerFields _trailers;

    private Range _method;
    private Range _path;
    private Range _authority;
    private Range _host;
    private bool _scheme;
    private bool _regularSeen;
    private bool _expectContinue;
    private string? _malformed;
    private int _headerBytes;
    private int _headerCount;
    private long _declaredLength;
    private long _received;
    private bool _bodyEnded;
    private string? _bodyFailure;
    private TaskCompletionSource? _bodyWaiter;
    private volatile bool _remoteClosed;
    private volatile bool _reset;
    private int _receiveWindow;

    public Http2Stream(Http2Connection connection)
    {
        _connection = connection;
        _trailers = new TrailerFields(this);
    }

    public int Id { get; private set; }

    /// <summary>What this stream may still send (guarded by the writer's lock).</summary>
    public long SendWindow { get; set; }

    /// <summary>Takes <paramref name="count"/> bytes from what the client may still send on this stream; the window left.</summary>
    public int TakeReceiveWindow(int count) => Interlocked.Add(ref _receiveWindow, -count);

    /// <summary>Gives back window for body bytes passed on (or padding).</summary>
    public void GiveReceiveWindow(int count) => Interlocked.Add(ref _receiveWindow, count);

    /// <summary>The client ended its side (END_STREAM received).</summary>
    public bool RemoteClosed => _remoteClosed;

    /// <summary>The stream was reset (by the client, or after a failure): nothing more is sent on it.</summary>
    public bool Reset => _reset;

    /// <summary>Decodes the trailer section of the request (HEADERS after DATA).</summary>
    public IHpackHandler Trailers => _trailers;

    private DirectListener Listener => _connection.Listener;

    /// <summary>Readies the object for stream <paramref name="id"/> (called with the writer's lock held).</summary>
    public void Begin(int id, int sendWindow)
    {
        Id = id;
        SendWindow = sendWindow;
        _receiveWindow = Http2Connection.StreamWindow;
        _fields.Clear();
        _pseudo.Clear();
        _cookies.Clear();
        _method = _path = _authority = _host = default;
        _scheme = _regularSeen = _expectContinue = false;
        _malformed = null;
        _headerBytes = _headerCount = 0;
        _declaredLength = -1;
        _received = 0;
        _bodyEnded = false;
        _bodyFailure = null;
        _bodyWaiter = null;
        _remoteClosed = false;
        _reset = false;
        _trailers.Clear();
        ResetExchange();
        lock (_body)
        {
            while (_body.TryDequeue(out var segment))
            {
                ArrayPool<byte>.Shared.Return(segment.Array);
            }
        }
    }

    public void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        _headerBytes += name.Length + value.Length + 32;
        _headerCount++;
        if (_malformed is not null)
        {
            return;
        }

        if (name.Length > 0 && name[0] == (byte)':')
        {
            OnPseudo(name, value);
            return;
        }

        _regularSeen = true;
        if (!IsValidName(name) || !IsValidValue(value))
        {
            _malformed = $"invalid field '{Printable(name)}'";
            return;
        }

        switch (DirectFields.Classify(name, ""))
        {
            case FieldKind.Connection or FieldKind.Upgrade or FieldKind.TransferEncoding:
            case FieldKind.HopByHop when name.SequenceEqual("keep-alive"u8) || name.SequenceEqual("proxy-connection"u8):
                _malformed = $"connection-specific field '{Encoding.ASCII.GetString(name)}' in an HTTP/2 request";
                return;
            case FieldKind.HopByHop when name.SequenceEqual("te"u8) && !value.SequenceEqual("trailers"u8):
                _malformed = "te other than 'trailers' in an HTTP/2 request";
                return;
            case FieldKind.Expect:
                // The body is flow-controlled: the client may send it at once, and is told so (Start).
                _expectContinue |= Ascii.EqualsIgnoreCase(value, "100-continue"u8);
                return;
            case FieldKind.Host:
                _host = Keep(_pseudo, value);
                return;
            case FieldKind.ContentLength:
                if (_declaredLength >= 0 || !long.TryParse(value, System.Globalization.NumberStyles.None, null, out _declaredLength))
                {
                    _malformed = "invalid content-length";
                    return;
                }

                break;
        }

        if (name.SequenceEqual("cookie"u8))
        {
            // HTTP/2 may split cookies into several fields; HTTP/1.1 wants one (RFC 9113 §8.2.3).
            _cookies.Append(_cookies.Length == 0 ? "cookie: "u8 : "; "u8);
            _cookies.Append(value);
            return;
        }

        _fields.Field(name, value);
    }

    private void OnPseudo(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (_regularSeen)
        {
            _malformed = "a pseudo-header after a regular field";
            return;
        }

        ref var slot = ref _method;
        switch (name.Length)
        {
            case 7 when name.SequenceEqual(":method"u8):
                break;
            case 5 when name.SequenceEqual(":path"u8):
                slot = ref _path;
                break;
            case 10 when name.SequenceEqual(":authority"u8):
                slot = ref _authority;
                break;
            case 7 when name.SequenceEqual(":scheme"u8):
                if (_scheme)
                {
                    _malformed = "two :scheme fields";
                }

                _scheme = true;
                return;
            default:
                _malformed = $"unknown pseudo-header '{Printable(name)}'";
                return;
        }

        if (!slot.Equals(default(Range)))
        {
            _malformed = $"two '{Encoding.ASCII.GetString(name)}' fields";
            return;
        }

        if (!IsValidValue(value))
        {
            _malformed = $"invalid '{Encoding.ASCII.GetString(name)}'";
            return;
        }

        slot = Keep(_pseudo, value);
    }

    private static Range Keep(HeadBuilder builder, ReadOnlySpan<byte> value)
    {
        var start = builder.Length;
        builder.Append(value);
        return new Range(start, builder.Length);
    }

    private static bool IsValidName(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var b in name)
        {
            if (b is (< (byte)'!' or > (byte)'~') or (>= (byte)'A' and <= (byte)'Z') or (byte)':' or (byte)'(' or (byte)')' or (byte)',' or (byte)'/'
                or (byte)';' or (byte)'<' or (byte)'=' or (byte)'>' or (byte)'?' or (byte)'@' or (byte)'[' or (byte)'\\' or (byte)']' or (byte)'{' or (byte)'}' or (byte)'"')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 9113 §8.2.1: no NUL, CR or LF, no leading or trailing whitespace.</summary>
    private static bool IsValidValue(ReadOnlySpan<byte> value) =>
        value.IndexOfAny((byte)0, (byte)'\r', (byte)'\n') < 0
        && (value.Length == 0 || (value[0] is not ((byte)' ' or (byte)'\t') && value[^1] is not ((byte)' ' or (byte)'\t')));

    private static string Printable(ReadOnlySpan<byte> bytes) => Upstream.Http1.Http1HeadParser.Printable(bytes[..Math.Min(bytes.Length, 64)]);

    /// <summary>DATA from the client (or the end of the body, with <paramref name="endStream"/>); called by the read loop.</summary>
    public void OnData(ReadOnlySpan<byte> data, bool endStream)
    {
        TaskCompletionSource? waiter;
        lock (_body)
        {
            _received += data.Length;
            if (data.Length > 0)
            {
                var array = ArrayPool<byte>.Shared.Rent(data.Length);
                data.CopyTo(array);
                _body.Enqueue((array, data.Length));
            }

            if (endStream)
            {
                _remoteClosed = true;
                _bodyEnded = true;
                if (_declaredLength >= 0 && _received != _declaredLength)
                {
                    _bodyFailure = $"the body was {_received} bytes, its content-length {_declaredLength}";
                }
            }
            else if (_declaredLength >= 0 && _received > _declaredLength)
            {
                _bodyFailure = $"the body is longer than its content-length {_declaredLength}";
            }

            waiter = _bodyWaiter;
            _bodyWaiter = null;
        }

        waiter?.TrySetResult();
        if (_bodyFailure is { } failure)
        {
            _connection.Writer.WriteRstStream(Id, Http2Error.ProtocolError);
            Abort(failure);
        }
    }

    /// <summary>Ends the stream's work now: the client reset it, or the connection went away.</summary>
    public void Abort(string reason)
    {
        TaskCompletionSource? waiter;
        lock (_body)
        {
            _reset = true;
            _bodyFailure ??= reason;
            waiter = _bodyWaiter;
            _bodyWaiter = null;
        }

        waiter?.TrySetResult();
        _connection.Writer.Wake();
        AbortUpstream();
    }

    /// <summary>Fails the request body without resetting the stream (an answer can still be sent).</summary>
    private void FailBody(string reason)
    {
        TaskCompletionSource? waiter;
        lock (_body)
        {
            _bodyFailure ??= reason;
            waiter = _bodyWaiter;
            _bodyWaiter = null;
        }

        waiter?.TrySetResult();
    }

    /// <summary>The next piece of the request body: an array from the pool (return it), or null at its end.</summary>
    private async ValueTask<(byte[]? Array, int Length)> NextBodyAsync()
    {
        while (true)
        {
            Task wait;
            lock (_body)
            {
                if (_bodyFailure is { } failure)
                {
                    throw new Http2StreamAbortedException(failure);
                }

                if (_body.TryDequeue(out var segment))
                {
                    return segment;
                }

                if (_bodyEnded)
                {
                    return (null, 0);
                }

                wait = (_bodyWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await wait.ConfigureAwait(false);
        }
    }

    /// <summary>The request's trailer fields, kept as HTTP/1.1 field lines for a chunked upstream body.</summary>
    private sealed class TrailerFields(Http2Stream stream) : IHpackHandler
    {
        public HeadBuilder Lines { get; } = new(256);

        public void Clear() => Lines.Clear();

        public void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (name.Length == 0 || name[0] == (byte)':' || !IsValidName(name) || !IsValidValue(value))
            {
                stream._malformed ??= "invalid trailer field";
                return;
            }

            Lines.Field(name, value);
        }
    }
}
