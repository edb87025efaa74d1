using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Metrics;
using Outrigger.Proxy.Reload;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Upstream;
using Outrigger.Proxy.Upstream.Http1;

namespace Outrigger.Proxy.Direct.Http2;

/// <summary>Forwarding one stream: the request as HTTP/1.1 to the upstream, the response back as HEADERS and DATA.</summary>
internal sealed partial class Http2Stream : IValueTaskSource
{
    private const int BodyBufferSize = 16 * 1024;

    private readonly HeadBuilder _clientHead = new(2048);
    private readonly HeadBuilder _head = new(4096);
    private readonly HeadBuilder _block = new(1024);
    private Http1ChunkedReader _chunks;
    private volatile Http1Connection? _upstream;
    private volatile bool _timedOut;
    private volatile bool _pumping;
    private volatile string? _bodyError;
    private bool _chunkedUpload;
    private bool _rstSent;
    private long _bodySince;
    private long _deadline = long.MaxValue;
    private ITimer? _timer;
    private byte[]? _bodyBuffer;
    private ManualResetValueTaskSourceCore<bool> _batchEnd;

    private TimeProvider Time => Listener.Time;

    /// <summary>Starts serving the stream whose header block was just decoded.</summary>
    public void Start(bool endStream)
    {
        if (endStream)
        {
            lock (_body)
            {
                _remoteClosed = _bodyEnded = true;
            }
        }

        _ = RunAsync(endStream);
    }

    /// <summary>The batch of frames that started this stream has been handled (<see cref="Http2Connection.Park"/>).</summary>
    public void Unpark() => _batchEnd.SetResult(true);

    void IValueTaskSource.GetResult(short token) => _batchEnd.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _batchEnd.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _batchEnd.OnCompleted(continuation, state, token, flags);

    /// <summary>Completes at once, or at the end of the connection's batch of frames when the request went out inside it.</summary>
    private ValueTask BatchEndAsync()
    {
        if (!_connection.Park(this))
        {
            return default;
        }

        _batchEnd.Reset();
        return new ValueTask(this, _batchEnd.Version);
    }

    /// <summary>Called by the sweep: the request body's minimum rate.</summary>
    public void CheckTimeouts(long now, in DirectTimeouts timeouts)
    {
        if (!_pumping || timeouts.MinBodyBytesPerSecond <= 0)
        {
            return;
        }

        var elapsed = Time.GetElapsedTime(_bodySince, now);
        if (elapsed > timeouts.MinBodyGrace && Interlocked.Read(ref _received) < timeouts.MinBodyBytesPerSecond * elapsed.TotalSeconds)
        {
            _bodyError = $"the body arrived slower than {timeouts.MinBodyBytesPerSecond} bytes per second";
            FailBody(_bodyError);
        }
    }

    private void ResetExchange()
    {
        _upstream = null;
        _timedOut = _pumping = _chunkedUpload = _rstSent = false;
        _bodyError = null;
    }

    private async Task RunAsync(bool endStream)
    {
        try
        {
            if (Check(endStream) is { } refusal)
            {
                await refusal.ConfigureAwait(false);
                return;
            }

            if (_expectContinue && !endStream)
            {
                WriteStatusOnly(StatusCodes.Status100Continue);
            }

            var runtime = Listener.Handler.Runtime;
            var route = runtime.Routes.Match(_request, out var values);
            if (route is null)
            {
                var start = Time.GetTimestamp();
                var hint = runtime.Routes.Routes.Count == 0 ? " (no services are configured: add upstream.services or proxy.routes)" : "";
                await SendErrorAsync(StatusCodes.Status404NotFound, $"no route matches {_request.Method} {_request.Host}{_request.Path}{hint}").ConfigureAwait(false);
                ProxyMetrics.RecordRequest("", "", StatusCodes.Status404NotFound, Time.GetElapsedTime(start).TotalSeconds);
                return;
            }

            if (!route.ServedDirectly)
            {
                Reject(Http2Error.RefusedStream); // a reload made the route Kestrel's since the connection started
                return;
            }

            await ExchangeAsync(runtime, route, values).ConfigureAwait(false);
        }
        catch (Http2StreamAbortedException)
        {
            // The client reset the stream, or its connection is gone.
        }
        finally
        {
            Finish();
        }
    }

    /// <summary>Checks the request and builds its HTTP/1.1 head; null when it can be served, else the answer sent instead.</summary>
    private ValueTask<bool>? Check(bool endStream)
    {
        var limits = Listener.Limits;
        if (_malformed is null && (_method.Equals(default(Range)) || !_scheme || _path.Equals(default(Range))))
        {
            _malformed = _method.Equals(default(Range)) || !Pseudo(_method).SequenceEqual("CONNECT"u8) ? "missing :method, :scheme or :path" : null;
            if (_malformed is null)
            {
                return SendErrorAsync(StatusCodes.Status501NotImplemented, "CONNECT is not supported");
            }
        }

        if (_malformed is not null)
        {
            Reject(Http2Error.ProtocolError);
            return new ValueTask<bool>(false);
        }

        if (_headerBytes > limits.MaxHeaderBytes + limits.MaxRequestLineBytes || _headerCount > limits.MaxHeaders + 4)
        {
            return SendErrorAsync(StatusCodes.Status431RequestHeaderFieldsTooLarge, "request header fields too large");
        }

        if (_path.GetOffsetAndLength(_pseudo.Length).Length > limits.MaxRequestLineBytes)
        {
            return SendErrorAsync(StatusCodes.Status414UriTooLong, "request target too long");
        }

        if (limits.MaxBodyBytes > 0 && _declaredLength > limits.MaxBodyBytes)
        {
            return SendErrorAsync(StatusCodes.Status413PayloadTooLarge, $"request body larger than {limits.MaxBodyBytes} bytes");
        }

        if (endStream && _declaredLength > 0)
        {
            Reject(Http2Error.ProtocolError); // content-length without the body it announces
            return new ValueTask<bool>(false);
        }

        WriteClientHead(endStream);
        var scanned = 0;
        var unbounded = limits with { MaxBodyBytes = 0, MaxHeaders = int.MaxValue, MaxHeaderBytes = 1 << 28, MaxRequestLineBytes = 1 << 28 }; // checked above, against the HTTP/2 sizes
        var parsed = _request.TryParse(_clientHead.Bytes, _clientHead.Length, ref scanned, unbounded);
        return parsed == HeadParse.Complete ? null : SendErrorAsync(StatusCodes.Status400BadRequest, "malformed request");
    }

    private ReadOnlySpan<byte> Pseudo(Range range) => _pseudo.Written.Span[range];

    /// <summary>The request as an HTTP/1.1 head: request line, Host from :authority, the fields, the body's framing.</summary>
    private void WriteClientHead(bool endStream)
    {
        var head = _clientHead;
        head.Clear();
        head.Append(Pseudo(_method));
        head.Append(" "u8);
        head.Append(Pseudo(_path));
        head.Append(" HTTP/1.1\r\nhost: "u8);
        head.Append(Pseudo(_authority.Equals(default(Range)) ? _host : _authority));
        head.Append("\r\n"u8);
        head.Append(_fields.Written.Span);
        if (_cookies.Length > 0)
        {
            head.Append(_cookies.Written.Span);
            head.Append("\r\n"u8);
        }

        // A body without a length goes to the HTTP/1.1 upstream chunked.
        _chunkedUpload = !endStream && _declaredLength < 0;
        if (_chunkedUpload)
        {
            head.Append("transfer-encoding: chunked\r\n"u8);
        }

        head.Append("\r\n"u8);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ExchangeAsync(ProxyRuntime runtime, CompiledRoute route, string[] values)
    {
        var start = Time.GetTimestamp();
        ProxyMetrics.RequestStarted();
        var status = StatusCodes.Status500InternalServerError;
        double seconds = -1;
        var cluster = route.Cluster;
        EndpointState? endpoint = null;
        try
        {
            endpoint = cluster.Acquire(null);
            if (endpoint is null)
            {
                status = StatusCodes.Status503ServiceUnavailable;
                var reason = cluster.All.Length == 0 ? "has no endpoints (discovery found none)" : $"has no healthy endpoints (0 of {cluster.All.Length} available)";
                await SendErrorAsync(status, $"no healthy upstream: cluster '{cluster.Name}' {reason}").ConfigureAwait(false);
                return;
            }

            DirectRequestHead.Write(_request, _head, runtime.Options.Forwarding, runtime.Options.Tracing, route, values, endpoint.AuthorityAscii, _connection.RemoteIp);
            var client = (Http1Client)endpoint.ClientFor(upgrade: false);
            var hasBody = _chunkedUpload || _declaredLength > 0; // what the upstream head announced
            ArmTimer(route.Timeout, start);
            Http1Connection? upstream = null;
            Task? pump = null;
            Exception? failure = null;
            var connectFailed = false;
            var headLength = 0;
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    upstream = await client.RentAsync(fresh: attempt > 0, CancellationToken.None).ConfigureAwait(false);
                }
                catch (UpstreamException e)
                {
                    (failure, connectFailed) = (e, true);
                    break;
                }

                _upstream = upstream;
                try
                {
                    if (_timedOut || _reset)
                    {
                        throw _reset ? new Http2StreamAbortedException("the client reset the stream") : new TimeoutException();
                    }

                    await upstream.WriteAsync(_head.Written, CancellationToken.None).ConfigureAwait(false);
                    if (hasBody)
                    {
                        pump = PumpBodyAsync(upstream);
                    }

                    await BatchEndAsync().ConfigureAwait(false);

                    var scanned = 0;
                    while ((headLength = DirectConnection.FinalHeadLength(upstream, ref scanned)) <= 0)
                    {
                        if (headLength < 0)
                        {
                            SendInterim(upstream.Buffered[..-headLength]);
                            upstream.Consume(-headLength);
                            scanned = 0;
                            continue;
                        }

                        var read = await upstream.ReadAsync(upstream.FillSpace()).ConfigureAwait(false);
                        if (read == 0)
                        {
                            throw new UpstreamException(UpstreamFailure.Exchange, upstream.ReceivedAny
                                ? "upstream closed the connection in the middle of the response head"
                                : "upstream closed the connection before sending a response");
                        }

                        upstream.Filled(read);
                    }

                    break;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    _upstream = null;
                    var resend = attempt == 0 && pump is null && upstream.IsReused && !upstream.ReceivedAny && !_timedOut && !_reset;
                    upstream.Release(responseEnded: false, keepAlive: false);
                    if (!resend)
                    {
                        failure = e;
                        break;
                    }
                }
            }

            DisarmTimer();
            ForwardResult result;
            if (failure is null)
            {
                result = await RespondAsync(upstream!, headLength, pump, route, endpoint, runtime.Options.Forwarding.Via).ConfigureAwait(false);
            }
            else
            {
                if (pump is not null)
                {
                    await pump.ConfigureAwait(false);
                }

                result = await FailExchangeAsync(failure, connectFailed, endpoint, route).ConfigureAwait(false);
            }

            status = result.StatusCode;
            seconds = Time.GetElapsedTime(start).TotalSeconds;
            ProxyRequestHandler.RecordAttempt(null, cluster, endpoint, result, seconds);
        }
        finally
        {
            endpoint?.EndRequest();
            ProxyMetrics.RequestFinished();
            ProxyMetrics.RecordRequest(route.Name, cluster.Name, status, seconds >= 0 ? seconds : Time.GetElapsedTime(start).TotalSeconds);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwardResult> FailExchangeAsync(Exception e, bool connectFailed, EndpointState endpoint, CompiledRoute route)
    {
        var cluster = route.Cluster.Name;
        if (_reset)
        {
            return new ForwardResult(StatusCodes.Status499ClientClosedRequest, ForwarderError.ClientAborted);
        }

        var reason = e is UpstreamException upstream ? upstream.Message : e is IOException { InnerException: SocketException socket } ? socket.Message : e.Message;
        var (status, error, message) = connectFailed
            ? (StatusCodes.Status502BadGateway, ForwarderError.ConnectFailed, $"upstream connect error: {endpoint.Authority} ({cluster}): {reason}")
            : _bodyError is { } bodyError
            ? (StatusCodes.Status400BadRequest, ForwarderError.RequestBodyClient, $"bad request body: {bodyError}")
            : _timedOut
            ? (StatusCodes.Status504GatewayTimeout, ForwarderError.Timeout, $"upstream timeout: {endpoint.Authority} ({cluster}) sent no response headers within {route.Timeout.TotalMilliseconds} ms")
            : (StatusCodes.Status502BadGateway, ForwarderError.NoResponse, $"upstream error: {endpoint.Authority} ({cluster}): {reason}");
        return await SendErrorAsync(status, message).ConfigureAwait(false)
            ? new ForwardResult(status, error)
            : new ForwardResult(StatusCodes.Status499ClientClosedRequest, ForwarderError.ClientAborted);
    }

    /// <summary>Streams the request body to the upstream while the response is read (both directions at once).</summary>
    private async Task PumpBodyAsync(Http1Connection upstream)
    {
        _bodySince = Time.GetTimestamp();
        _pumping = true;
        try
        {
            while (true)
            {
                var (array, length) = await NextBodyAsync().ConfigureAwait(false);
                if (array is null)
                {
                    if (_chunkedUpload)
                    {
                        _head.Clear();
                        _head.Append("0\r\n"u8);
                        _head.Append(_trailers.Lines.Written.Span);
                        _head.Append("\r\n"u8);
                        await upstream.WriteAsync(_head.Written, CancellationToken.None).ConfigureAwait(false);
                    }

                    return;
                }

                try
                {
                    await upstream.WriteAsync(_chunkedUpload ? Chunk(array, length) : array.AsMemory(0, length), CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(array);
                }

                _connection.Credit(this, length);
            }
        }
        catch (Http2StreamAbortedException e)
        {
            _bodyError ??= e.Message;
            upstream.Dispose();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            upstream.Dispose(); // the response side sees it and names the cause
        }
        finally
        {
            _pumping = false;
        }
    }

    /// <summary>One chunk of a chunked upload: size line, data, CRLF.</summary>
    private ReadOnlyMemory<byte> Chunk(byte[] data, int length)
    {
        _head.Clear();
        _head.Reserve(length + 12);
        length.TryFormat(_head.Reserve(8), out var digits, "x", CultureInfo.InvariantCulture);
        _head.Length += digits;
        _head.Append("\r\n"u8);
        _head.Append(data.AsSpan(0, length));
        _head.Append("\r\n"u8);
        return _head.Written;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwardResult> RespondAsync(Http1Connection upstream, int headLength, Task? pump, CompiledRoute route, EndpointState endpoint, bool via)
    {
        ResponseInfo info;
        try
        {
            info = DirectResponseHead.Rewrite(upstream.Buffered[..headLength], _head, HttpMethods.IsHead(_request.Method), via, closeClient: false, route.Options.Transforms);
        }
        catch (UpstreamException e)
        {
            _upstream = null;
            upstream.Release(responseEnded: false, keepAlive: false);
            if (pump is not null)
            {
                await pump.ConfigureAwait(false);
            }

            var message = $"upstream error: {endpoint.Authority} ({route.Cluster.Name}): {e.Message}";
            return await SendErrorAsync(StatusCodes.Status502BadGateway, message).ConfigureAwait(false)
                ? new ForwardResult(StatusCodes.Status502BadGateway, ForwarderError.NoResponse)
                : new ForwardResult(StatusCodes.Status499ClientClosedRequest, ForwarderError.ClientAborted);
        }

        upstream.Consume(headLength);
        var error = await SendResponseAsync(upstream, info).ConfigureAwait(false);
        _upstream = null;
        var pumpDone = pump is null || pump.IsCompleted;
        var ended = error == ForwarderError.None;
        upstream.Release(ended, info.UpstreamKeepAlive && pumpDone && _bodyFailure is null);
        if (!ended)
        {
            Reject(error == ForwarderError.ResponseBodyUpstream ? Http2Error.InternalError : Http2Error.Cancel);
        }

        if (!pumpDone)
        {
            // The answer is complete before the upload: the rest of it is not wanted (RST_STREAM NO_ERROR in Finish).
            FailBody("the response ended before the request body");
            await pump!.ConfigureAwait(false);
        }

        var status = error switch
        {
            ForwarderError.None => info.Status,
            ForwarderError.ResponseBodyUpstream => StatusCodes.Status502BadGateway,
            _ => StatusCodes.Status499ClientClosedRequest,
        };
        return new ForwardResult(status, error);
    }

    /// <summary>The response head as HEADERS, then the body as DATA (chunks decoded, trailers as a last HEADERS).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwarderError> SendResponseAsync(Http1Connection upstream, ResponseInfo info)
    {
        EncodeHead(_head.Written.Span, info.Status);
        var bodyless = info.Framing == BodyFraming.None || (info.Framing == BodyFraming.Length && info.Length == 0);
        try
        {
            _connection.Writer.WriteHeaders(this, _block.Written.Span, endStream: bodyless, flush: bodyless || upstream.Buffered.Length == 0);
            if (bodyless)
            {
                return ForwarderError.None;
            }

            return info.Framing == BodyFraming.Chunked
                ? await SendChunkedAsync(upstream).ConfigureAwait(false)
                : await SendBodyAsync(upstream, info.Framing == BodyFraming.Length ? info.Length : -1).ConfigureAwait(false);
        }
        catch (Http2StreamAbortedException)
        {
            return ForwarderError.ClientAborted;
        }
    }

    /// <summary>A body of <paramref name="length"/> bytes, or (-1) until the upstream closes.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwarderError> SendBodyAsync(Http1Connection upstream, long length)
    {
        var remaining = length < 0 ? long.MaxValue : length;
        var buffer = _bodyBuffer ??= GC.AllocateUninitializedArray<byte>(BodyBufferSize);
        while (remaining > 0)
        {
            if (upstream.Buffered.Length > 0)
            {
                var take = (int)Math.Min(upstream.Buffered.Length, remaining);
                remaining -= length < 0 ? 0 : take;
                await _connection.Writer.WriteDataAsync(this, upstream.BufferedMemory[..take], endStream: remaining == 0).ConfigureAwait(false);
                upstream.Consume(take);
                continue;
            }

            int read;
            try
            {
                read = await upstream.ReadDirectAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
            {
                return _reset ? ForwarderError.ClientAborted : ForwarderError.ResponseBodyUpstream;
            }

            if (read == 0)
            {
                if (length >= 0)
                {
                    return ForwarderError.ResponseBodyUpstream;
                }

                await _connection.Writer.WriteDataAsync(this, default, endStream: true).ConfigureAwait(false);
                return ForwarderError.None;
            }

            remaining -= length < 0 ? 0 : read;
            await _connection.Writer.WriteDataAsync(this, buffer.AsMemory(0, read), endStream: remaining == 0).ConfigureAwait(false);
        }

        return ForwarderError.None;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwarderError> SendChunkedAsync(Http1Connection upstream)
    {
        _chunks = default;
        List<KeyValuePair<string, string>>? trailers = null;
        var buffer = _bodyBuffer ??= GC.AllocateUninitializedArray<byte>(BodyBufferSize);
        try
        {
            while (true)
            {
                var count = _chunks.Read(upstream, buffer, ref trailers);
                if (count > 0)
                {
                    var last = _chunks.Ended && trailers is null;
                    await _connection.Writer.WriteDataAsync(this, buffer.AsMemory(0, count), endStream: last).ConfigureAwait(false);
                    if (last)
                    {
                        return ForwarderError.None;
                    }
                }
                else if (count == 0)
                {
                    if (trailers is null)
                    {
                        await _connection.Writer.WriteDataAsync(this, default, endStream: true).ConfigureAwait(false);
                    }
                    else
                    {
                        EncodeTrailers(trailers);
                        _connection.Writer.WriteHeaders(this, _block.Written.Span, endStream: true, flush: true);
                    }

                    return ForwarderError.None;
                }
                else if (await upstream.FillAsync(CancellationToken.None).ConfigureAwait(false) == 0)
                {
                    return ForwarderError.ResponseBodyUpstream;
                }
            }
        }
        catch (Exception e) when (e is UpstreamException or IOException or ObjectDisposedException or SocketException)
        {
            return _reset ? ForwarderError.ClientAborted : ForwarderError.ResponseBodyUpstream;
        }
    }

    /// <summary>HPACK-encodes a response head rewritten by <see cref="DirectResponseHead"/> (its HTTP/1.1 framing fields left out).</summary>
    private void EncodeHead(ReadOnlySpan<byte> head, int status)
    {
        _block.Clear();
        _block.Length += HpackEncoder.WriteStatus(status, _block.Reserve(8));
        var position = head.IndexOf("\r\n"u8) + 2;
        while (true)
        {
            var line = head[position..];
            var end = line.IndexOf("\r\n"u8);
            if (end <= 0)
            {
                return;
            }

            line = line[..end];
            position += end + 2;
            var colon = line.IndexOf((byte)':');
            var name = line[..colon];
            if (DirectFields.Classify(name, "") is not (FieldKind.Connection or FieldKind.TransferEncoding or FieldKind.HopByHop or FieldKind.Upgrade))
            {
                AddField(name, line[(colon + 1)..].Trim(" \t"u8));
            }
        }
    }

    private void EncodeTrailers(List<KeyValuePair<string, string>> trailers)
    {
        _block.Clear();
        foreach (var (name, value) in trailers)
        {
            if (DirectFields.Classify(Encoding.ASCII.GetBytes(name), "") == FieldKind.Other)
            {
                AddField(Encoding.ASCII.GetBytes(name), Encoding.Latin1.GetBytes(value));
            }
        }
    }

    private void AddField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var written = HpackEncoder.WriteField(name, value, _block.Reserve(HpackEncoder.MaxFieldLength(name.Length, value.Length)));
        _block.Length += written;
    }

    /// <summary>An interim response (103 Early Hints, …) from the upstream goes to the client as a HEADERS frame of its own.</summary>
    private void SendInterim(ReadOnlySpan<byte> head)
    {
        var status = Http1HeadParser.ParseStatusLine(head[..head.IndexOf((byte)'\n')]).Status;
        if (status == StatusCodes.Status100Continue)
        {
            return; // already told (or not asked)
        }

        EncodeHead(head, status);
        _connection.Writer.WriteHeaders(this, _block.Written.Span, endStream: false, flush: true);
    }

    private void WriteStatusOnly(int status)
    {
        _block.Clear();
        _block.Length += HpackEncoder.WriteStatus(status, _block.Reserve(8));
        _connection.Writer.WriteHeaders(this, _block.Written.Span, endStream: false, flush: true);
    }

    /// <summary>A short plain-text response of the proxy's own (an error naming its cause); false when the client is gone.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendErrorAsync(int status, string message)
    {
        var body = Encoding.UTF8.GetBytes($"{status} {message}\n");
        _block.Clear();
        _block.Length += HpackEncoder.WriteStatus(status, _block.Reserve(8));
        AddField("content-type"u8, "text/plain; charset=utf-8"u8);
        AddField("content-length"u8, Encoding.ASCII.GetBytes(body.Length.ToString(CultureInfo.InvariantCulture)));
        AddField("date"u8, Encoding.ASCII.GetBytes(Time.GetUtcNow().ToString("r", CultureInfo.InvariantCulture)));
        try
        {
            _connection.Writer.WriteHeaders(this, _block.Written.Span, endStream: false, flush: false);
            await _connection.Writer.WriteDataAsync(this, body, endStream: true).ConfigureAwait(false);
            return true;
        }
        catch (Http2StreamAbortedException)
        {
            return false;
        }
    }

    /// <summary>Resets the stream from our side.</summary>
    private void Reject(Http2Error error)
    {
        if (!_rstSent && !_reset)
        {
            _rstSent = true;
            _connection.Writer.WriteRstStream(Id, error);
        }

        Abort($"reset ({error})");
    }

    /// <summary>The exchange is over: a body the client is still sending is declined, and the stream leaves the connection.</summary>
    private void Finish()
    {
        DisarmTimer();
        if (!_remoteClosed && !_rstSent && !_reset)
        {
            _rstSent = true;
            _connection.Writer.WriteRstStream(Id, Http2Error.NoError);
        }

        _connection.StreamEnded(this);
    }

    /// <summary>Starts the route's response-header deadline (the timer is the stream object's, reused).</summary>
    private void ArmTimer(TimeSpan timeout, long start)
    {
        _timedOut = false;
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        Volatile.Write(ref _deadline, start + (long)(timeout.TotalSeconds * Time.TimestampFrequency));
        if (_timer is null)
        {
            using (ExecutionContext.SuppressFlow())
            {
                _timer = Time.CreateTimer(static state => ((Http2Stream)state!).OnTimer(), this, timeout, Timeout.InfiniteTimeSpan);
            }
        }
        else
        {
            _timer.Change(timeout, Timeout.InfiniteTimeSpan);
        }
    }

    private void DisarmTimer()
    {
        if (Volatile.Read(ref _deadline) != long.MaxValue)
        {
            Volatile.Write(ref _deadline, long.MaxValue);
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimer()
    {
        var deadline = Volatile.Read(ref _deadline);
        var now = Time.GetTimestamp();
        if (deadline == long.MaxValue)
        {
            return;
        }

        if (deadline > now)
        {
            _timer?.Change(Time.GetElapsedTime(now, deadline), Timeout.InfiniteTimeSpan); // a stale firing: the stream's next deadline
            return;
        }

        _timedOut = true;
        AbortUpstream();
    }

    private void AbortUpstream() => _upstream?.Dispose();
}
