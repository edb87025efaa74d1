using System.Buffers.Binary;
using System.Net.Sockets;

namespace Outrigger.Proxy.Direct.Http2;

/// <summary>
/// The frames a connection sends, and its send-side flow control (RFC 9113 §5.2). Frames are appended to a buffer under
/// one lock; whoever appends to an idle writer starts the flush, which sends everything appended meanwhile in one write,
/// so responses finishing together share a system call. While the connection handles a batch of frames it holds the
/// flush (<see cref="Hold"/>), so what the batch answers leaves in one write at its end. Outside a batch, while other
/// streams are open, the flush waits for the event thread's next turn (<see cref="NextTurn"/>), so the answers it reads
/// meanwhile leave together. DATA waits for window (the stream's and the connection's) and, when the client reads slower
/// than the upstreams answer, for the buffer to drain.
/// </summary>
internal sealed class Http2Writer : ITurnWork
{
    /// <summary>Buffered bytes above which DATA writers wait for the flush (the bound on a slow reader's memory).</summary>
    private const int HighWater = 256 * 1024;

    private readonly Socket _socket;
    private readonly NextTurn? _turn;
    private readonly Lock _lock = new();
    private byte[] _pending = GC.AllocateUninitializedArray<byte>(16 * 1024);
    private byte[] _sending = GC.AllocateUninitializedArray<byte>(16 * 1024);
    private int _length;
    private bool _flushing;
    private bool _held;
    private bool _failed;
    private long _connectionWindow = Http2Frames.DefaultWindow;
    private int _maxFrameSize = Http2Frames.DefaultMaxFrameSize;
    private TaskCompletionSource? _changed;
    private TaskCompletionSource? _idle;
    private int _openStreams;

    /// <param name="socket">The client connection.</param>
    /// <param name="turn">Where flushes outside a batch wait while other streams are open; null to flush at once.</param>
    public Http2Writer(Socket socket, NextTurn? turn)
    {
        _socket = socket;
        _turn = turn;
    }

    /// <summary>The lock that guards the send windows (the connection adjusts them on WINDOW_UPDATE and SETTINGS).</summary>
    public Lock SyncRoot => _lock;

    public int MaxFrameSize
    {
        get => _maxFrameSize;
        set
        {
            lock (_lock)
            {
                _maxFrameSize = value;
            }
        }
    }

    /// <summary>The connection's streams in progress (set by the connection as they start and end).</summary>
    public int OpenStreams
    {
        get => Volatile.Read(ref _openStreams);
        set => Volatile.Write(ref _openStreams, value);
    }

    /// <summary>Appended frames wait for <see cref="Release"/> instead of being sent at once.</summary>
    public void Hold()
    {
        lock (_lock)
        {
            _held = true;
        }
    }

    /// <summary>Ends <see cref="Hold"/>: what was appended meanwhile is sent.</summary>
    public void Release()
    {
        bool start;
        lock (_lock)
        {
            _held = false;
            start = StartFlush();
        }

        if (start)
        {
            _ = FlushAsync();
        }
    }

    /// <summary>A frame with a small payload (SETTINGS, PING, WINDOW_UPDATE, RST_STREAM, GOAWAY).</summary>
    public void WriteFrame(FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        bool start;
        lock (_lock)
        {
            AppendFrame(type, flags, streamId, payload);
            start = StartFlush();
        }

        Flush(start);
    }

    public void WriteWindowUpdate(int streamId, int increment)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(payload, increment);
        WriteFrame(FrameType.WindowUpdate, 0, streamId, payload);
    }

    public void WriteRstStream(int streamId, Http2Error error)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)error);
        WriteFrame(FrameType.RstStream, 0, streamId, payload);
    }

    public void WriteGoAway(int lastStreamId, Http2Error error, string debug)
    {
        var payload = new byte[8 + System.Text.Encoding.UTF8.GetByteCount(debug)];
        BinaryPrimitives.WriteInt32BigEndian(payload, lastStreamId);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), (uint)error);
        System.Text.Encoding.UTF8.GetBytes(debug, payload.AsSpan(8));
        WriteFrame(FrameType.GoAway, 0, 0, payload);
    }

    /// <summary>
    /// A header block: HEADERS, then CONTINUATION frames when it exceeds the client's frame size, all appended at once
    /// (nothing may come between them). Not flushed when <paramref name="flush"/> is false: DATA follows at once.
    /// </summary>
    public void WriteHeaders(Http2Stream stream, ReadOnlySpan<byte> block, bool endStream, bool flush)
    {
        bool start;
        lock (_lock)
        {
            ThrowIfClosed(stream);
            var first = true;
            do
            {
                var length = Math.Min(block.Length, _maxFrameSize);
                var last = length == block.Length;
                var flags = (byte)((last ? Http2Frames.EndHeaders : 0) | (first && endStream ? Http2Frames.EndStream : 0));
                AppendFrame(first ? FrameType.Headers : FrameType.Continuation, flags, stream.Id, block[..length]);
                block = block[length..];
                first = false;
            }
            while (block.Length > 0);

            start = flush && StartFlush();
        }

        Flush(start);
    }

    /// <summary>
    /// Sends <paramref name="data"/> as DATA frames within the flow-control windows; END_STREAM on the last one when
    /// <paramref name="endStream"/> (an empty <paramref name="data"/> then sends an empty frame). Throws
    /// <see cref="Http2StreamAbortedException"/> when the stream is reset or the connection has failed.
    /// </summary>
    public ValueTask WriteDataAsync(Http2Stream stream, ReadOnlyMemory<byte> data, bool endStream)
    {
        bool start;
        bool appended;
        bool drained;
        lock (_lock)
        {
            ThrowIfClosed(stream);
            appended = AppendData(stream, ref data, endStream);
            start = StartFlush();
            drained = _length < HighWater;
        }

        Flush(start);
        return appended && drained ? default : WriteDataSlowAsync(stream, data, endStream, appended);
    }

    /// <summary>Adds window granted by the client (WINDOW_UPDATE or a new SETTINGS_INITIAL_WINDOW_SIZE); false on overflow.</summary>
    public bool AddWindow(Http2Stream? stream, long increment)
    {
        lock (_lock)
        {
            if (stream is null)
            {
                _connectionWindow += increment;
                if (_connectionWindow > Http2Frames.MaxWindow)
                {
                    return false;
                }
            }
            else
            {
                stream.SendWindow += increment;
                if (stream.SendWindow > Http2Frames.MaxWindow)
                {
                    return false;
                }
            }

            WakeLocked();
            return true;
        }
    }

    /// <summary>Wakes DATA writers waiting for window so they see their stream was reset.</summary>
    public void Wake()
    {
        lock (_lock)
        {
            WakeLocked();
        }
    }

    /// <summary>Completes when everything appended so far has been sent (or sending failed).</summary>
    public Task DrainAsync()
    {
        lock (_lock)
        {
            if (_failed || (!_flushing && _length == 0))
            {
                return Task.CompletedTask;
            }

            return (_idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    private async ValueTask WriteDataSlowAsync(Http2Stream stream, ReadOnlyMemory<byte> data, bool endStream, bool done)
    {
        while (true)
        {
            Task wait;
            bool start;
            lock (_lock)
            {
                ThrowIfClosed(stream);
                if (!done)
                {
                    done = AppendData(stream, ref data, endStream);
                }

                start = StartFlush();
                if (done && _length < HighWater)
                {
                    wait = Task.CompletedTask;
                }
                else
                {
                    wait = (_changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
            }

            Flush(start);
            if (wait.IsCompleted)
            {
                return;
            }

            await wait.ConfigureAwait(false);
        }
    }

    /// <summary>Appends as much of <paramref name="data"/> as the windows allow; true when all of it (and END_STREAM) went.</summary>
    private bool AppendData(Http2Stream stream, ref ReadOnlyMemory<byte> data, bool endStream)
    {
        if (data.Length == 0)
        {
            if (endStream)
            {
                AppendFrame(FrameType.Data, Http2Frames.EndStream, stream.Id, default);
            }

            return true;
        }

        while (data.Length > 0)
        {
            var length = (int)Math.Min(Math.Min(data.Length, _maxFrameSize), Math.Min(stream.SendWindow, _connectionWindow));
            if (length <= 0)
            {
                return false;
            }

            var last = length == data.Length;
            AppendFrame(FrameType.Data, last && endStream ? Http2Frames.EndStream : (byte)0, stream.Id, data.Span[..length]);
            stream.SendWindow -= length;
            _connectionWindow -= length;
            data = data[length..];
        }

        return true;
    }

    private void AppendFrame(FrameType type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        var needed = _length + Http2Frames.HeaderLength + payload.Length;
        if (needed > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, needed));
        }

        var frame = _pending.AsSpan(_length);
        Http2Frames.WriteHeader(frame, payload.Length, type, flags, streamId);
        payload.CopyTo(frame[Http2Frames.HeaderLength..]);
        _length = needed;
    }

    private void ThrowIfClosed(Http2Stream stream)
    {
        if (_failed || stream.Reset)
        {
            throw new Http2StreamAbortedException(_failed ? "the client connection failed" : "the client reset the stream");
        }
    }

    private bool StartFlush()
    {
        if (_flushing || _held || _failed || _length == 0)
        {
            return false;
        }

        _flushing = true;
        return true;
    }

    /// <summary>Runs the flush <see cref="StartFlush"/> started: at the next turn when other streams may answer before it.</summary>
    private void Flush(bool start)
    {
        if (!start)
        {
            return;
        }

        if (_turn is not null && OpenStreams > 1)
        {
            _turn.Enqueue(this);
        }
        else
        {
            _ = FlushAsync();
        }
    }

    void ITurnWork.RunTurn() => _ = FlushAsync();

    private void WakeLocked()
    {
        _changed?.TrySetResult();
        _changed = null;
    }

    private async Task FlushAsync()
    {
        try
        {
            while (true)
            {
                int count;
                lock (_lock)
                {
                    if (_length == 0)
                    {
                        _flushing = false;
                        _idle?.TrySetResult();
                        _idle = null;
                        return;
                    }

                    (_pending, _sending) = (_sending, _pending);
                    count = _length;
                    _length = 0;
                    WakeLocked(); // writers waiting for the buffer to drain
                }

                var bytes = _sending.AsMemory(0, count);
                while (bytes.Length > 0)
                {
                    var sent = await _socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
                    bytes = bytes[sent..];
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            lock (_lock)
            {
                _failed = true;
                _flushing = false;
                _idle?.TrySetResult();
                _idle = null;
                WakeLocked();
            }

            _socket.Dispose(); // the read loop then ends, and every stream with it
        }
    }
}

/// <summary>The stream was reset by the client, or its connection failed: nothing more can be sent on it.</summary>
internal sealed class Http2StreamAbortedException(string message) : Exception(message);
