using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Metrics;
using Outrigger.Proxy.Reload;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Upstream;
using Outrigger.Proxy.Upstream.Http1;

namespace Outrigger.Proxy.Direct;

/// <summary>Forwarding one request: the upstream head, the body both ways as framed by its sender, errors as short responses.</summary>
internal sealed partial class DirectConnection
{
    private const int BodyBufferSize = 64 * 1024;

    /// <summary>Body bytes that still go out in the same write as the head they follow.</summary>
    private const int CoalesceBytes = 16 * 1024;

    private ChunkedScanner _requestChunks;
    private ChunkedScanner _responseChunks;
    private long _bodyRemaining;
    private volatile bool _pumping;
    private long _bodySince;
    private long _bodyReceived;
    private volatile string? _bodyError;
    private volatile Http1Connection? _upstream;
    private volatile bool _timedOut;
    private ITimer? _timer;
    private long _deadline = long.MaxValue;
    private long _timerDue = long.MaxValue;
    private byte[]? _bodyBuffer;

    /// <summary>Forwards the parsed request; returns whether the client connection stays open for another.</summary>
    /// <remarks>
    /// The steps every request takes — upstream head out, response head in — are awaited here and not in methods of their
    /// own: each async method between a socket's completion and this one would be one more resumption per request.
    /// The sending steps usually complete at once (no resumption), and the rarer ones are methods of their own.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ExchangeAsync(ProxyRuntime runtime, CompiledRoute route, string[] values)
    {
        var start = Time.GetTimestamp();
        ProxyMetrics.RequestStarted();
        var status = StatusCodes.Status500InternalServerError;
        double seconds = -1;
        var cluster = route.Cluster;
        EndpointState? endpoint = null;
        try
        {
            _start = _request.HeadLength;
            endpoint = cluster.Acquire(null);
            if (endpoint is null)
            {
                status = StatusCodes.Status503ServiceUnavailable;
                var reason = cluster.All.Length == 0 ? "has no endpoints (discovery found none)" : $"has no healthy endpoints (0 of {cluster.All.Length} available)";
                var close = _request.ContentLength != 0;
                await SendErrorAsync(status, $"no healthy upstream: cluster '{cluster.Name}' {reason}", close).ConfigureAwait(false);
                return !close && !_request.Close;
            }

            DirectRequestHead.Write(_request, _head, runtime.Options.Forwarding, runtime.Options.Tracing, route, values, endpoint.AuthorityAscii, _remoteIp);
            (ForwardResult Result, bool KeepAlive) outcome;
            if (TakeBufferedBody() < 0)
            {
                outcome = await FailAsync(StatusCodes.Status400BadRequest, ForwarderError.RequestBodyClient, "bad request body: invalid chunked framing").ConfigureAwait(false);
            }
            else
            {
                var client = (Http1Client)endpoint.ClientFor(upgrade: false);
                var bodyDone = BodyComplete;
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
                        if (_timedOut)
                        {
                            throw new TimeoutException();
                        }

                        await upstream.WriteAsync(_head.Written, CancellationToken.None).ConfigureAwait(false);
                        if (!bodyDone)
                        {
                            pump = PumpBodyAsync(upstream);
                        }

                        var scanned = 0;
                        while ((headLength = FinalHeadLength(upstream, ref scanned)) <= 0)
                        {
                            if (headLength < 0)
                            {
                                // An interim response (103 Early Hints, …) goes to the client as it is.
                                await SendAsync(upstream.Buffered[..-headLength].ToArray()).ConfigureAwait(false);
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
                        var resend = attempt == 0 && pump is null && upstream.IsReused && !upstream.ReceivedAny && !_timedOut && _closed == 0;
                        upstream.Release(responseEnded: false, keepAlive: false);
                        if (!resend)
                        {
                            failure = e;
                            break;
                        }
                    }
                }

                DisarmTimer();
                if (failure is null)
                {
                    outcome = await RespondAsync(upstream!, headLength, pump, route, endpoint, runtime.Options.Forwarding.Via).ConfigureAwait(false);
                }
                else if (connectFailed)
                {
                    outcome = await FailAsync(StatusCodes.Status502BadGateway, ForwarderError.ConnectFailed, $"upstream connect error: {endpoint.Authority} ({cluster.Name}): {failure.Message}").ConfigureAwait(false);
                }
                else
                {
                    if (pump is not null)
                    {
                        await pump.ConfigureAwait(false);
                    }

                    outcome = await FailExchangeAsync(failure, endpoint, route).ConfigureAwait(false);
                }
            }

            status = outcome.Result.StatusCode;
            seconds = Time.GetElapsedTime(start).TotalSeconds;
            ProxyRequestHandler.RecordAttempt(null, cluster, endpoint, outcome.Result, seconds);
            return outcome.KeepAlive;
        }
        finally
        {
            endpoint?.EndRequest();
            ProxyMetrics.RequestFinished();
            ProxyMetrics.RecordRequest(route.Name, cluster.Name, status, seconds >= 0 ? seconds : Time.GetElapsedTime(start).TotalSeconds);
        }
    }

    /// <summary>
    /// The length of the final response head at the start of the upstream's buffer; 0 when more bytes are needed,
    /// minus the length of an interim (1xx) head that comes first.
    /// </summary>
    internal static int FinalHeadLength(Http1Connection upstream, ref int scanned)
    {
        var data = upstream.Buffered;
        var end = Http1HeadParser.FindEnd(data, ref scanned);
        if ((end < 0 ? data.Length : end) > upstream.MaxHeadBytes)
        {
            throw new UpstreamException(UpstreamFailure.Exchange, $"upstream response head is larger than {upstream.MaxHeadBytes} bytes");
        }

        if (end < 0)
        {
            return 0;
        }

        if (data.Length < 12 || data[9] != (byte)'1')
        {
            return end;
        }

        if (data[10] == (byte)'0' && data[11] == (byte)'1')
        {
            throw new UpstreamException(UpstreamFailure.Exchange, "upstream switched protocols (101) for a request that did not ask for an upgrade");
        }

        return -end;
    }

    /// <summary>Answers a failed exchange: the client's fault, the deadline, or the upstream's.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(ForwardResult, bool)> FailExchangeAsync(Exception e, EndpointState endpoint, CompiledRoute route)
    {
        var cluster = route.Cluster.Name;
        if (_closed != 0)
        {
            return (new ForwardResult(StatusCodes.Status499ClientClosedRequest, ForwarderError.ClientAborted), false);
        }

        if (_bodyError is { } bodyError)
        {
            return await FailAsync(StatusCodes.Status400BadRequest, ForwarderError.RequestBodyClient, $"bad request body: {bodyError}").ConfigureAwait(false);
        }

        if (_timedOut)
        {
            return await FailAsync(StatusCodes.Status504GatewayTimeout, ForwarderError.Timeout,
                $"upstream timeout: {endpoint.Authority} ({cluster}) sent no response headers within {route.Timeout.TotalMilliseconds} ms").ConfigureAwait(false);
        }

        var reason = e is UpstreamException upstream ? upstream.Message : e is IOException { InnerException: SocketException socket } ? socket.Message : e.Message;
        return await FailAsync(StatusCodes.Status502BadGateway, ForwarderError.NoResponse, $"upstream error: {endpoint.Authority} ({cluster}): {reason}").ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(ForwardResult, bool)> FailAsync(int status, ForwarderError error, string message)
    {
        // A body not read to its end leaves the connection out of step: close it after the answer.
        var close = !BodyComplete || _request.Close || error == ForwarderError.RequestBodyClient;
        try
        {
            await SendErrorAsync(status, message, close).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return (new ForwardResult(StatusCodes.Status499ClientClosedRequest, ForwarderError.ClientAborted), false);
        }

        return (new ForwardResult(status, error), !close);
    }

    private bool BodyComplete => _request.Chunked ? _requestChunks.IsComplete : _bodyRemaining == 0;

    /// <summary>Moves the body bytes that arrived with the head into the upstream head's write; -1 when their framing is invalid.</summary>
    private int TakeBufferedBody()
    {
        _bodyError = null;
        _bodyRemaining = Math.Max(0, _request.ContentLength);
        _requestChunks.Reset();
        if (_request.ContentLength == 0)
        {
            return 0;
        }

        var available = _buffer.AsSpan(_start, Math.Min(_end - _start, CoalesceBytes));
        var take = _request.Chunked ? _requestChunks.Scan(available) : (int)Math.Min(_bodyRemaining, available.Length);
        if (take < 0)
        {
            return -1;
        }

        _head.Append(available[..take]);
        _start += take;
        if (!_request.Chunked)
        {
            _bodyRemaining -= take;
        }

        return take;
    }

    /// <summary>Streams the rest of the request body to the upstream while the response is read (both directions at once).</summary>
    private async Task PumpBodyAsync(Http1Connection upstream)
    {
        _bodySince = Time.GetTimestamp();
        _bodyReceived = 0;
        _pumping = true;
        try
        {
            while (!BodyComplete)
            {
                if (_start == _end)
                {
                    _start = _end = 0;
                    var read = await _socket.ReceiveAsync(_buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                    if (read == 0)
                    {
                        _bodyError = "the client closed the connection before the end of the body";
                        upstream.Dispose();
                        return;
                    }

                    _end = read;
                    _bodyReceived += read;
                }

                var piece = _buffer.AsMemory(_start, _end - _start);
                var take = _request.Chunked ? _requestChunks.Scan(piece.Span) : (int)Math.Min(_bodyRemaining, piece.Length);
                if (take < 0)
                {
                    _bodyError = "invalid chunked framing";
                    upstream.Dispose();
                    return;
                }

                _start += take;
                if (!_request.Chunked)
                {
                    _bodyRemaining -= take;
                }

                await upstream.WriteAsync(piece[..take], CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // Either side failed; closing the upstream makes the response side see it and name the cause.
            upstream.Dispose();
        }
        finally
        {
            _pumping = false;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(ForwardResult, bool)> RespondAsync(Http1Connection upstream, int headLength, Task? pump, CompiledRoute route, EndpointState endpoint, bool via)
    {
        ResponseInfo info;
        try
        {
            info = DirectResponseHead.Rewrite(upstream.Buffered[..headLength], _head, HttpMethods.IsHead(_request.Method), via, _request.Close, route.Options.Transforms);
        }
        catch (UpstreamException e)
        {
            _upstream = null;
            upstream.Release(responseEnded: false, keepAlive: false);
            if (pump is not null)
            {
                await pump.ConfigureAwait(false);
            }

            return await FailAsync(StatusCodes.Status502BadGateway, ForwarderError.NoResponse, $"upstream error: {endpoint.Authority} ({route.Cluster.Name}): {e.Message}").ConfigureAwait(false);
        }

        upstream.Consume(headLength);
        var error = await CopyBodyAsync(upstream, info).ConfigureAwait(false);
        _upstream = null;
        var pumpDone = pump is null || pump.IsCompleted;
        var ended = error == ForwarderError.None;
        upstream.Release(ended, info.UpstreamKeepAlive && pumpDone && BodyComplete);
        if (!ended || !pumpDone)
        {
            // The client's connection cannot carry another request: its body was not read to the end, or the response broke off.
            Close();
            if (pump is not null)
            {
                await pump.ConfigureAwait(false);
            }
        }

        var status = error switch
        {
            ForwarderError.None => info.Status,
            ForwarderError.ResponseBodyUpstream => StatusCodes.Status502BadGateway,
            _ => StatusCodes.Status499ClientClosedRequest,
        };
        return (new ForwardResult(status, error), ended && pumpDone && !_request.Close && info.Framing != BodyFraming.UntilClose);
    }

    /// <summary>Sends the rewritten head and the body after it, as the upstream framed it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwarderError> CopyBodyAsync(Http1Connection upstream, ResponseInfo info)
    {
        _responseChunks.Reset();
        var remaining = info.Framing == BodyFraming.Length ? info.Length : long.MaxValue;
        var done = info.Framing == BodyFraming.None || remaining == 0;

        // What arrived with the head goes out in the same write.
        if (!done && upstream.Buffered.Length > 0)
        {
            var buffered = upstream.Buffered;
            var take = Take(info, buffered[..Math.Min(buffered.Length, CoalesceBytes)], ref remaining, ref done);
            if (take < 0)
            {
                return ForwarderError.ResponseBodyUpstream;
            }

            _head.Append(buffered[..take]);
            upstream.Consume(take);
        }

        if (!await TrySendAsync(_head.Written).ConfigureAwait(false))
        {
            return ForwarderError.ClientAborted;
        }

        while (!done)
        {
            ReadOnlyMemory<byte> piece;
            var copy = _bodyBuffer ??= GC.AllocateUninitializedArray<byte>(BodyBufferSize);
            if (upstream.Buffered.Length > 0)
            {
                var buffered = upstream.Buffered;
                var length = Math.Min(buffered.Length, copy.Length);
                buffered[..length].CopyTo(copy);
                upstream.Consume(length);
                piece = copy.AsMemory(0, length);
            }
            else
            {
                int read;
                try
                {
                    read = await upstream.ReadDirectAsync(copy, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
                {
                    return _closed != 0 ? ForwarderError.ClientAborted : ForwarderError.ResponseBodyUpstream;
                }

                if (read == 0)
                {
                    return info.Framing == BodyFraming.UntilClose ? ForwarderError.None : ForwarderError.ResponseBodyUpstream;
                }

                piece = copy.AsMemory(0, read);
            }

            var take = Take(info, piece.Span, ref remaining, ref done);
            if (take < 0)
            {
                return ForwarderError.ResponseBodyUpstream;
            }

            if (!await TrySendAsync(piece[..take]).ConfigureAwait(false))
            {
                return ForwarderError.ClientAborted;
            }
        }

        return ForwarderError.None;
    }

    /// <summary>How much of <paramref name="data"/> belongs to the response body; -1 for invalid chunked framing.</summary>
    private int Take(ResponseInfo info, ReadOnlySpan<byte> data, ref long remaining, ref bool done)
    {
        switch (info.Framing)
        {
            case BodyFraming.Chunked:
                var take = _responseChunks.Scan(data);
                done = _responseChunks.IsComplete;
                return take;
            case BodyFraming.Length:
                var length = (int)Math.Min(remaining, data.Length);
                remaining -= length;
                done = remaining == 0;
                return length;
            default:
                return data.Length;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> TrySendAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            await SendAsync(bytes).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Close();
            return false;
        }
    }

    /// <summary>
    /// Starts the route's deadline. The timer is not moved per request: it stays set for the earliest deadline it was
    /// armed for, and when it fires early (a later request's deadline is further out) it re-arms for that one.
    /// </summary>
    /// <param name="timeout">The route's timeout.</param>
    /// <param name="start">When the exchange started (a <see cref="TimeProvider.GetTimestamp"/> value).</param>
    private void ArmTimer(TimeSpan timeout, long start)
    {
        _timedOut = false;
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }

        var deadline = start + (long)(timeout.TotalSeconds * Time.TimestampFrequency);
        Interlocked.Exchange(ref _deadline, deadline);
        if (deadline >= Volatile.Read(ref _timerDue))
        {
            return;
        }

        Volatile.Write(ref _timerDue, deadline);
        if (_timer is null)
        {
            using (ExecutionContext.SuppressFlow())
            {
                _timer = Time.CreateTimer(static state => ((DirectConnection)state!).OnTimer(), this, timeout, Timeout.InfiniteTimeSpan);
            }
        }
        else
        {
            _timer.Change(timeout, Timeout.InfiniteTimeSpan);
        }
    }

    private void DisarmTimer() => Volatile.Write(ref _deadline, long.MaxValue);

    private void OnTimer()
    {
        // Idle first, then look: an ArmTimer that saw the old due time has written its deadline before this read.
        Interlocked.Exchange(ref _timerDue, long.MaxValue);
        var deadline = Volatile.Read(ref _deadline);
        if (deadline == long.MaxValue)
        {
            return;
        }

        var now = Time.GetTimestamp();
        if (deadline <= now)
        {
            _timedOut = true;
            AbortUpstream();
            return;
        }

        Volatile.Write(ref _timerDue, deadline);
        _timer?.Change(Time.GetElapsedTime(now, deadline), Timeout.InfiniteTimeSpan);
    }

    private void AbortUpstream()
    {
        _upstream?.Dispose();
        if (_closed != 0)
        {
            _timer?.Dispose();
        }
    }

    /// <summary>The sweep's checks during an exchange: the upload rate, and a client that left while the upstream works.</summary>
    private void CheckExchange(long now, in DirectTimeouts timeouts)
    {
        if (_pumping)
        {
            var elapsed = Time.GetElapsedTime(_bodySince, now);
            if (timeouts.MinBodyBytesPerSecond > 0 && elapsed > timeouts.MinBodyGrace && _bodyReceived < timeouts.MinBodyBytesPerSecond * elapsed.TotalSeconds)
            {
                _bodyError = $"the body arrived slower than {timeouts.MinBodyBytesPerSecond} bytes per second";
                Close();
            }

            return;
        }

        try
        {
            // Readable with nothing to read: the client closed its side (a pipelined request would leave bytes).
            if (_socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0)
            {
                Close();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Close();
        }
    }
}
