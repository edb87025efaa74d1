using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Outrigger.Proxy.Direct.Http2;
using Outrigger.Proxy.Reload;
using Outrigger.Proxy.Routing;

namespace Outrigger.Proxy.Direct;

/// <summary>
/// One client connection on the direct path: reads request heads, forwards each request it can serve itself
/// (DirectConnection.Exchange.cs), and hands the connection to Kestrel — with the bytes read so far — at the first one
/// it cannot. The listener's sweep enforces the time limits (<see cref="CheckTimeouts"/>).
/// </summary>
internal sealed partial class DirectConnection
{
    private const int BufferSize = 16 * 1024;

    private readonly DirectListener _listener;
    private readonly Socket _socket;
    private readonly DirectRequest _request = new();
    private readonly HeadBuilder _head = new(4096);
    private readonly byte[] _remoteIp;
    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferSize);
    private int _start;
    private int _end;
    private int _scanned;
    private volatile Phase _phase;
    private long _phaseSince;
    private int _closed;
    private Http2Connection? _http2;

    public DirectConnection(DirectListener listener, Socket socket)
    {
        _listener = listener;
        _socket = socket;
        var address = (socket.RemoteEndPoint as IPEndPoint)?.Address;
        _remoteIp = Encoding.ASCII.GetBytes(address is null ? "unknown" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString());
    }

    private enum Phase
    {
        /// <summary>Between requests (keep-alive timeout).</summary>
        Idle,

        /// <summary>Part of a request head has arrived (request headers timeout).</summary>
        Head,

        /// <summary>An exchange with the upstream is in progress.</summary>
        Exchange,

        /// <summary>The connection speaks HTTP/2 (its own limits: <see cref="Http2Connection.CheckTimeouts"/>).</summary>
        Http2,
    }

    private TimeProvider Time => _listener.Time;

    public async Task RunAsync()
    {
        var handedOff = false;
        try
        {
            while (!_listener.Stopping)
            {
                var parse = StartHead();
                while (parse == HeadParse.Incomplete)
                {
                    var read = await _socket.ReceiveAsync(ReadSpace(), SocketFlags.None).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return; // the client closed the connection
                    }

                    parse = ContinueHead(read);
                }

                var runtime = _listener.Handler.Runtime;
                if (parse == HeadParse.Unsupported && _buffer.AsSpan(0, _end).StartsWith(Http2Frames.PrefaceHead) && DirectPath.ServesHttp2(runtime))
                {
                    _http2 = new Http2Connection(_listener, _socket, _remoteIp);
                    SetPhase(Phase.Http2);
                    _listener.Http2Started();
                    await _http2.RunAsync(_buffer.AsMemory(0, _end)).ConfigureAwait(false);
                    return;
                }

                string[] values = [];
                var route = parse == HeadParse.Complete && DirectPath.Serves(runtime) ? runtime.Routes.Match(_request, out values) : null;
                if (route is null || !route.ServedDirectly)
                {
                    handedOff = true;
                    _listener.HandOff(_socket, _buffer.AsMemory(0, _end));
                    return;
                }

                _phase = Phase.Exchange; // its limits have their own clocks
                if (!await ExchangeAsync(runtime, route, values).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // The client went away, or the sweep closed the connection.
        }
        finally
        {
            if (handedOff)
            {
                _timer?.Dispose();
            }
            else
            {
                Close();
            }

            _listener.Remove(this, handedOff);
        }
    }

    /// <summary>Closes the connection now (shutdown, or a limit broken); the exchange in progress fails.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _socket.Dispose();
            AbortUpstream();
        }
    }

    /// <summary>Whether the connection waits for a request (shutdown closes those at once).</summary>
    public bool IsIdle => _phase == Phase.Idle || (_phase == Phase.Http2 && _http2!.IsIdle);

    /// <summary>Called by the listener's sweep: closes the connection when the phase it is in has lasted too long.</summary>
    public void CheckTimeouts(long now, in DirectTimeouts timeouts)
    {
        var elapsed = Time.GetElapsedTime(Volatile.Read(ref _phaseSince), now);
        switch (_phase)
        {
            case Phase.Idle when elapsed > timeouts.KeepAlive:
            case Phase.Head when elapsed > timeouts.RequestHeaders:
                Close();
                break;
            case Phase.Exchange:
                CheckExchange(now, timeouts);
                break;
            case Phase.Http2:
                _http2!.CheckTimeouts(now, timeouts);
                break;
        }
    }

    private void SetPhase(Phase phase)
    {
        Volatile.Write(ref _phaseSince, Time.GetTimestamp());
        _phase = phase;
    }

    /// <summary>
    /// Starts reading a request head: what is buffered moves to the start of the buffer and is parsed. Reads go to
    /// <see cref="ReadSpace"/> and then to <see cref="ContinueHead"/>, until the head is whole (awaited in <see cref="RunAsync"/>
    /// itself: an async method in between would be one more resumption per request).
    /// </summary>
    private HeadParse StartHead()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        _scanned = 0;
        SetPhase(_end > 0 ? Phase.Head : Phase.Idle);
        return _end > 0 ? ParseHead() : HeadParse.Incomplete;
    }

    private HeadParse ContinueHead(int read)
    {
        _end += read;
        return ParseHead();
    }

    private HeadParse ParseHead()
    {
        var parse = _request.TryParse(_buffer, _end, ref _scanned, _listener.Limits);
        if (parse == HeadParse.Incomplete && _phase == Phase.Idle)
        {
            SetPhase(Phase.Head); // only a head that does not arrive whole needs the clock
        }

        return parse;
    }

    private Memory<byte> ReadSpace()
    {
        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        return _buffer.AsMemory(_end);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(ReadOnlyMemory<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Writes a short plain-text response of the proxy's own (an error naming its cause).</summary>
    private ValueTask SendErrorAsync(int status, string message, bool close)
    {
        var body = $"{status} {message}\n";
        _head.Clear();
        _head.Append("HTTP/1.1 "u8);
        _head.Append(status);
        _head.Append(" "u8);
        _head.Append(Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status));
        _head.Append("\r\nContent-Type: text/plain; charset=utf-8\r\nDate: "u8);
        _head.Append(Time.GetUtcNow().ToString("r", System.Globalization.CultureInfo.InvariantCulture));
        _head.Append("\r\nContent-Length: "u8);
        _head.Append(Encoding.UTF8.GetByteCount(body));
        _head.Append(close ? "\r\nConnection: close\r\n\r\n"u8 : "\r\n\r\n"u8);
        _head.Length += Encoding.UTF8.GetBytes(body, _head.Reserve(Encoding.UTF8.GetByteCount(body)));
        return SendAsync(_head.Written);
    }
}

/// <summary>The time limits the sweep enforces on direct connections.</summary>
internal readonly record struct DirectTimeouts(TimeSpan KeepAlive, TimeSpan RequestHeaders, double MinBodyBytesPerSecond, TimeSpan MinBodyGrace);
