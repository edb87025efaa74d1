using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Outrigger.Proxy.Metrics;

namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>
/// One HTTP/1.1 connection to the endpoint, one exchange at a time: writes a request head, sends the body from its own
/// task, reads the response head into an <see cref="Http1Response"/>, which then reads the body through the connection's
/// read buffer. Closing it (<see cref="Dispose"/>) is safe from any thread and at any time: pending reads and writes fail.
/// </summary>
internal sealed class Http1Connection : IDisposable
{
    private const int BufferSize = 16 * 1024;

    private readonly Http1Client _owner;
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly Http1FieldCache _fields = new();

    // Not pooled: a read that is still pending when another thread closes the connection must not write into a buffer
    // that someone else rented meanwhile.
    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferSize);
    private int _start;
    private int _end;
    private int _exchanges;
    private int _disposed;
    private CancellationTokenSource? _bodyCancel;
    private Task? _bodyTask;
    private TaskCompletionSource<bool>? _continue;
    private volatile bool _bodySent;
    private volatile bool _bodyWriteFailed;
    private volatile Exception? _bodyFailure;

    public Http1Connection(Http1Client owner, Socket socket, Stream stream)
    {
        _owner = owner;
        _socket = socket;
        _stream = stream;
    }

    /// <summary>When this connection was last put in the pool (a <see cref="TimeProvider"/> timestamp).</summary>
    public long IdleSince { get; set; }

    /// <summary>Whether the current exchange is not the connection's first.</summary>
    public bool IsReused { get; private set; }

    /// <summary>Whether any byte arrived during the current exchange.</summary>
    public bool ReceivedAny { get; private set; }

    /// <summary>Completes when the current exchange's body task ended (it never throws).</summary>
    public Task BodyCompletion => _bodyTask ?? Task.CompletedTask;

    public bool IsClosed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Bytes read from the upstream and not consumed yet.</summary>
    public ReadOnlySpan<byte> Buffered => _buffer.AsSpan(_start, _end - _start);

    /// <summary><see cref="Buffered"/> as memory, for a write that may complete later (consume it after).</summary>
    public ReadOnlyMemory<byte> BufferedMemory => _buffer.AsMemory(_start, _end - _start);

    public int MaxHeadBytes => _owner.Options.MaxResponseHeaderBytes;

    /// <summary>Field names and values this connection received before (a repeated one is not allocated again).</summary>
    public Http1FieldCache Fields => _fields;

    /// <summary>How many fields the previous response had: the next one likely has as many.</summary>
    public int LastFieldCount { get; set; } = 8;

    /// <summary>Whether an idle connection is unusable: the peer closed it or sent something unasked.</summary>
    public bool IsStale()
    {
        try
        {
            return IsClosed || _socket.Poll(0, SelectMode.SelectRead);
        }
        catch (SocketException)
        {
            return true;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>
    /// Sends the request and reads up to the final response head (or a 101 to an upgrade). On failure the connection is
    /// closed and an <see cref="UpstreamException"/> thrown, or <see cref="OperationCanceledException"/> when
    /// <paramref name="token"/> was cancelled.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Http1Response> SendAsync(UpstreamRequest request, Http1RequestHead head, CancellationToken token)
    {
        BeginExchange();
        var response = new Http1Response(this, request, head.Close);
        try
        {
            await _stream.WriteAsync(head.Bytes, token).ConfigureAwait(false);
            if (head.SendsBody && request.Body is { } body)
            {
                StartBody(body, head);
            }

            while (true)
            {
                // The head's reads are awaited here, not in a method of their own: one resumption less per request.
                var scanned = 0;
                while (!TryParseHead(response, ref scanned))
                {
                    var read = await _stream.ReadAsync(FillSpace(), token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new UpstreamException(UpstreamFailure.Exchange, ReceivedAny
                            ? "upstream closed the connection in the middle of the response head"
                            : "upstream closed the connection before sending a response");
                    }

                    Filled(read);
                }

                var status = response.StatusCode;
                if (status >= 200 || (status == 101 && request.Upgrade))
                {
                    break;
                }

                if (status == 101)
                {
                    throw new UpstreamException(UpstreamFailure.Exchange, "upstream switched protocols (101) for a request that did not ask for an upgrade");
                }

                if (status == 100)
                {
                    _continue?.TrySetResult(true);
                }

                response.ClearHead();
            }

            // A final status before 100 Continue: the body stays with the client, and the connection is not reused.
            _continue?.TrySetResult(false);
            response.DecideFraming();
            return response;
        }
        catch (Exception ex)
        {
            // Named before closing: closing cancels the body, whose own failure would then hide the cause.
            var cancelled = token.IsCancellationRequested;
            var failure = cancelled ? null : Failure(ex, "before a response");
            Dispose();
            if (!cancelled)
            {
                throw failure!;
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw new OperationCanceledException("The request was cancelled.", ex, token);
        }
    }

    /// <summary>Counts an exchange starting on this connection.</summary>
    public void BeginExchange()
    {
        IsReused = _exchanges++ > 0;
        ReceivedAny = false;
        _bodyTask = null;
        _continue = null;
        _bodySent = false;
        _bodyWriteFailed = false;
        _bodyFailure = null;
    }

    /// <summary>Writes bytes the caller framed itself (the direct path's request head and body).</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken token) => _stream.WriteAsync(bytes, token);

    /// <summary>Reads more bytes into the buffer (compacting or growing it when full); 0 when the upstream closed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> FillAsync(CancellationToken token)
    {
        var read = await _stream.ReadAsync(FillSpace(), token).ConfigureAwait(false);
        Filled(read);
        return read;
    }

    /// <summary>
    /// Where the next read into the buffer goes (compacting or growing it when full). <see cref="FillAsync"/> in two
    /// halves, for a caller that awaits the read itself: <see cref="ReadAsync"/> into it, then <see cref="Filled"/>.
    /// </summary>
    public Memory<byte> FillSpace()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else
            {
                // Only a head, trailer section or chunk line longer than the buffer gets here; their parsers bound it.
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }

        return _buffer.AsMemory(_end);
    }

    /// <summary>Counts <paramref name="read"/> bytes a read put into <see cref="FillSpace"/>.</summary>
    public void Filled(int read)
    {
        _end += read;
        ReceivedAny |= read > 0;
    }

    /// <summary>Reads from the connection into <see cref="FillSpace"/>'s memory (then count it with <see cref="Filled"/>); 0 when the upstream closed.</summary>
    public ValueTask<int> ReadAsync(Memory<byte> destination) => _stream.ReadAsync(destination, CancellationToken.None);

    /// <summary>Reads straight into <paramref name="destination"/>; only when nothing is buffered.</summary>
    public ValueTask<int> ReadDirectAsync(Memory<byte> destination, CancellationToken token)
    {
        ReceivedAny = true;
        return _stream.ReadAsync(destination, token);
    }

    public void Consume(int count) => _start += count;

    /// <summary>
    /// Writes request body bytes; a failure here is the upstream's side, not the client's. After the <paramref name="last"/>
    /// bytes the body counts as sent at once (a response ending right after must find the connection reusable).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteBodyAsync(ReadOnlyMemory<byte> bytes, bool last, CancellationToken token)
    {
        try
        {
            await _stream.WriteAsync(bytes, token).ConfigureAwait(false);
        }
        catch
        {
            _bodyWriteFailed = true;
            throw;
        }

        _bodySent |= last;
    }

    /// <summary>The connection as a plain byte stream (after a 101); bytes already buffered come first.</summary>
    public Stream OpenTunnel() => new Http1Tunnel(this, _stream);

    /// <summary>Ends the exchange: back to the pool when it ended cleanly, else closed.</summary>
    public void Release(bool responseEnded, bool keepAlive)
    {
        var reuse = responseEnded && keepAlive && _start == _end && (_bodyTask is null || _bodySent) && !IsClosed;
        _owner.Return(this, reuse);
    }

    /// <summary>Closes the tunnel's connection and frees its slot.</summary>
    public void CloseTunnel() => _owner.Return(this, reuse: false);

    /// <summary>The exception to surface for <paramref name="error"/>, naming the request body when its failure is the cause.</summary>
    public UpstreamException Failure(Exception error, string when)
    {
        // The client's body failing closes the connection, so whatever the read saw then, the body is the cause.
        if (_bodyFailure is { } body && !_bodyWriteFailed)
        {
            return new UpstreamException(UpstreamFailure.Exchange, $"sending the request body failed: {body.Message}", body);
        }

        if (error is UpstreamException upstream)
        {
            return upstream;
        }

        var message = error is IOException { InnerException: SocketException socket } ? socket.Message : error.Message;
        return new UpstreamException(UpstreamFailure.Exchange, $"upstream connection failed {when}: {message}", error);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _continue?.TrySetResult(false);
        try
        {
            _bodyCancel?.Cancel();
        }
        catch (AggregateException)
        {
            // A callback of the body's own failed; the body task reports its failure itself.
        }

        _stream.Dispose();
        _socket.Dispose();
        ProxyMetrics.ConnectionsActive.Add(-1, _owner.MetricTag);
    }

    private bool TryParseHead(Http1Response response, ref int scanned)
    {
        var data = Buffered;
        var end = Http1HeadParser.FindEnd(data, ref scanned);
        if ((end < 0 ? data.Length : end) > MaxHeadBytes)
        {
            throw new UpstreamException(UpstreamFailure.Exchange, $"upstream response head is larger than {MaxHeadBytes} bytes");
        }

        if (end < 0)
        {
            return false;
        }

        response.ParseHead(data[..end], _fields);
        _start += end;
        return true;
    }

    private void StartBody(RequestBody body, Http1RequestHead head)
    {
        _bodyCancel ??= new CancellationTokenSource();
        if (head.ExpectContinue)
        {
            _continue = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _bodyTask = SendBodyAsync(body, head.BodyLength, _continue, _bodyCancel.Token);
    }

    private async Task SendBodyAsync(RequestBody body, long? length, TaskCompletionSource<bool>? go, CancellationToken token)
    {
        try
        {
            if (go is not null && !await WaitForContinueAsync(go).ConfigureAwait(false))
            {
                return;
            }

            var writer = new Http1BodyWriter(this, length);
            try
            {
                await body.WriteToAsync(writer, token).ConfigureAwait(false);
                await writer.CompleteAsync(body.Trailers, token).ConfigureAwait(false);
            }
            finally
            {
                writer.Dispose();
            }
        }
        catch (Exception ex)
        {
            if (token.IsCancellationRequested)
            {
                return; // the connection was closed for another reason, which is reported where it happened
            }

            _bodyFailure = ex;
            if (!_bodyWriteFailed)
            {
                // The client's side failed: break the exchange off, or the upstream would wait for the rest of the body.
                Dispose();
            }
        }
    }

    private async Task<bool> WaitForContinueAsync(TaskCompletionSource<bool> go)
    {
        var timeout = _owner.Options.Expect100ContinueTimeout;
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            timeout = TimeSpan.Zero;
        }

        using var timer = _owner.Options.Time.CreateTimer(static state => ((TaskCompletionSource<bool>)state!).TrySetResult(true), go, timeout, Timeout.InfiniteTimeSpan);
        return await go.Task.ConfigureAwait(false);
    }
}
