using System.Buffers.Binary;
using System.Net.Sockets;

namespace Outrigger.Proxy.Direct.Http2;

/// <summary>
/// A prior-knowledge h2c connection served on the direct path (docs/direct-http2.md): reads and checks frames, decodes
/// header blocks, keeps flow control, and runs an <see cref="Http2Stream"/> per request, each forwarding to an HTTP/1.1
/// upstream as the HTTP/1.1 direct path does. Protocol errors end the connection with GOAWAY; request errors reset
/// only their stream.
/// </summary>
internal sealed partial class Http2Connection
{
    /// <summary>The connection-level window the client gets: room for many streams' bodies before they are read.</summary>
    private const int ConnectionWindow = 1 << 20;

    /// <summary>Each stream's receive window (the protocol's default, so not announced): what a stream may buffer.</summary>
    public const int StreamWindow = Http2Frames.DefaultWindow;

    private const int MaxConcurrentStreams = 100;
    private const int PooledStreams = 32;
    private const int ReadBufferSize = 32 * 1024;

    private readonly Socket _socket;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Http2Stream> _streams = [];
    private readonly Stack<Http2Stream> _pool = new();
    private readonly List<Http2Stream> _parked = [];
    private readonly HpackDecoder _decoder;
    private readonly DiscardFields _discard = new();
    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(ReadBufferSize);
    private byte[] _block = GC.AllocateUninitializedArray<byte>(4096);
    private int _blockLength;
    private int _blockStream;
    private bool _blockEndStream;
    private bool _blockNew;
    private int _start;
    private int _end;
    private bool _settingsReceived;
    private int _lastStreamId;
    private int _receiveWindow = ConnectionWindow;
    private int _peerInitialWindow = Http2Frames.DefaultWindow;
    private volatile bool _goingAway;
    private volatile bool _prefaceDone;
    private long _idleSince;
    private long _blockSince;
    private int _closed;
    private int _batchThread;

    public Http2Connection(DirectListener listener, Socket socket, byte[] remoteIp)
    {
        Listener = listener;
        _socket = socket;
        RemoteIp = remoteIp;
        Writer = new Http2Writer(socket, listener.Turn);
        _decoder = new HpackDecoder(maxStringLength: listener.Limits.MaxHeaderBytes + listener.Limits.MaxRequestLineBytes);
        _idleSince = listener.Time.GetTimestamp();
    }

    public DirectListener Listener { get; }

    public Http2Writer Writer { get; }

    public byte[] RemoteIp { get; }

    /// <summary>Whether no request is in progress (shutdown closes those connections at once).</summary>
    public bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return _streams.Count == 0;
            }
        }
    }

    /// <summary>Serves the connection; <paramref name="received"/> are the bytes already read (they start with the preface).</summary>
    public async Task RunAsync(ReadOnlyMemory<byte> received)
    {
        received.CopyTo(_buffer);
        _end = received.Length;
        try
        {
            while (_end < Http2Frames.Preface.Length)
            {
                if (!await ReadAsync().ConfigureAwait(false))
                {
                    return;
                }
            }

            if (!_buffer.AsSpan(0, Http2Frames.Preface.Length).SequenceEqual(Http2Frames.Preface))
            {
                return; // not HTTP/2 after all: nothing sensible can be answered
            }

            _start = Http2Frames.Preface.Length;
            _prefaceDone = true;
            SendPreface();
            while (true)
            {
                ReadBatch();
                if (!await ReadAsync().ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (Http2ConnectionException e)
        {
            await GoAwayAsync(e.Code, e.Message).ConfigureAwait(false);
        }
        catch (HpackException e)
        {
            await GoAwayAsync(Http2Error.CompressionError, e.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // The client went away, or the connection was closed (shutdown, a limit, the end of a GOAWAY).
        }
        finally
        {
            Close();
            AbortStreams();
        }
    }

    /// <summary>Closes the connection now; the streams in progress fail.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _socket.Dispose();
            Writer.Wake();
        }
    }

    /// <summary>Called by the listener's sweep: the keep-alive and header timeouts.</summary>
    public void CheckTimeouts(long now, in DirectTimeouts timeouts)
    {
        var time = Listener.Time;
        var slowPreface = !_prefaceDone && time.GetElapsedTime(Volatile.Read(ref _idleSince), now) > timeouts.RequestHeaders;
        var slowBlock = Volatile.Read(ref _blockStream) != 0 && time.GetElapsedTime(Volatile.Read(ref _blockSince), now) > timeouts.RequestHeaders;
        if (slowPreface || slowBlock)
        {
            Close(); // slowloris: a preface or header block that does not arrive
            return;
        }

        if (_prefaceDone && IsIdle && time.GetElapsedTime(Volatile.Read(ref _idleSince), now) > timeouts.KeepAlive)
        {
            _ = GoAwayAsync(Http2Error.NoError, "idle");
        }

        foreach (var stream in Snapshot())
        {
            stream.CheckTimeouts(now, timeouts);
        }
    }

    /// <summary>
    /// Called by a stream that has just sent its request upstream: true when that happened inside the batch of frames
    /// being handled, and the stream is to read its answer when the batch ends (<see cref="Http2Stream.Unpark"/>).
    /// </summary>
    public bool Park(Http2Stream stream)
    {
        if (_batchThread != Environment.CurrentManagedThreadId)
        {
            return false;
        }

        _parked.Add(stream);
        return true;
    }

    /// <summary>Returns credit for <paramref name="count"/> body bytes a stream has passed on.</summary>
    public void Credit(Http2Stream stream, int count)
    {
        stream.GiveReceiveWindow(count);
        Interlocked.Add(ref _receiveWindow, count);
        Writer.WriteWindowUpdate(0, count);
        if (!stream.RemoteClosed)
        {
            Writer.WriteWindowUpdate(stream.Id, count);
        }
    }

    /// <summary>A stream is done with its request and response: it leaves the connection (and may serve another request later).</summary>
    public void StreamEnded(Http2Stream stream)
    {
        bool last;
        lock (_lock)
        {
            _streams.Remove(stream.Id);
            Writer.OpenStreams = _streams.Count;
            last = _streams.Count == 0;
            if (last)
            {
                Volatile.Write(ref _idleSince, Listener.Time.GetTimestamp());
            }

            if (_pool.Count < PooledStreams)
            {
                _pool.Push(stream);
            }
        }

        if (last && _goingAway)
        {
            _ = CloseAfterDrainAsync();
        }
    }

    private Http2Stream[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _streams.Values];
        }
    }

    private void AbortStreams()
    {
        foreach (var stream in Snapshot())
        {
            stream.Abort("the client connection closed");
        }
    }

    private async ValueTask<bool> ReadAsync()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }

    private void SendPreface()
    {
        var limits = Listener.Limits;
        Span<byte> settings = stackalloc byte[18];
        WriteSetting(settings, Http2Frames.MaxConcurrentStreams, MaxConcurrentStreams);
        WriteSetting(settings[6..], Http2Frames.MaxHeaderListSize, limits.MaxHeaderBytes + limits.MaxRequestLineBytes);
        WriteSetting(settings[12..], Http2Frames.EnablePush, 0);
        Writer.WriteFrame(FrameType.Settings, 0, 0, settings);
        Writer.WriteWindowUpdate(0, ConnectionWindow - Http2Frames.DefaultWindow);
    }

    private static void WriteSetting(Span<byte> destination, ushort id, int value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteInt32BigEndian(destination[2..], value);
    }

    /// <summary>
    /// Handles the frames read as one batch. Streams it starts send their requests upstream at once but read the answers
    /// only at its end (by then the first of them are usually in, so those reads do not come back empty), and the writer
    /// holds what the batch answers until then: the requests of one read are answered in one write where they can be.
    /// </summary>
    private void ReadBatch()
    {
        Writer.Hold();
        _batchThread = Environment.CurrentManagedThreadId;
        try
        {
            ReadFrames();
        }
        finally
        {
            _batchThread = 0;
            foreach (var stream in _parked)
            {
                stream.Unpark();
            }

            _parked.Clear();
            Writer.Release();
        }
    }

    /// <summary>Handles every whole frame in the buffer.</summary>
    private void ReadFrames()
    {
        while (_end - _start >= Http2Frames.HeaderLength)
        {
            var header = FrameHeader.Read(_buffer.AsSpan(_start));
            if (header.Length > Http2Frames.DefaultMaxFrameSize)
            {
                throw new Http2ConnectionException(Http2Error.FrameSizeError, $"a {header.Type} frame of {header.Length} bytes is larger than SETTINGS_MAX_FRAME_SIZE ({Http2Frames.DefaultMaxFrameSize})");
            }

            if (_end - _start < Http2Frames.HeaderLength + header.Length)
            {
                return;
            }

            var payload = _buffer.AsSpan(_start + Http2Frames.HeaderLength, header.Length);
            _start += Http2Frames.HeaderLength + header.Length;
            OnFrame(header, payload);
        }
    }

    private void OnFrame(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (!_settingsReceived && (header.Type != FrameType.Settings || header.Has(Http2Frames.Ack)))
        {
            throw Error(Http2Error.ProtocolError, "the client's connection preface must start with a SETTINGS frame");
        }

        if (_blockStream != 0 && (header.Type != FrameType.Continuation || header.StreamId != _blockStream))
        {
            throw Error(Http2Error.ProtocolError, $"a {header.Type} frame came in the middle of stream {_blockStream}'s header block");
        }

        switch (header.Type)
        {
            case FrameType.Data:
                OnData(header, payload);
                break;
            case FrameType.Headers:
                OnHeaders(header, payload);
                break;
            case FrameType.Continuation:
                OnContinuation(header, payload);
                break;
            case FrameType.Priority:
                OnPriority(header, payload);
                break;
            case FrameType.RstStream:
                OnRstStream(header, payload);
                break;
            case FrameType.Settings:
                OnSettings(header, payload);
                break;
            case FrameType.Ping:
                OnPing(header, payload);
                break;
            case FrameType.GoAway:
                if (header.StreamId != 0)
                {
                    throw Error(Http2Error.ProtocolError, "GOAWAY on a stream");
                }

                _goingAway = true; // the client sends no new streams; those in progress finish
                if (IsIdle)
                {
                    Close();
                }

                break;
            case FrameType.WindowUpdate:
                OnWindowUpdate(header, payload);
                break;
            case FrameType.PushPromise:
                throw Error(Http2Error.ProtocolError, "a client must not send PUSH_PROMISE");
            default:
                break; // unknown frame types are ignored (RFC 9113 §4.1)
        }
    }

    private static Http2ConnectionException Error(Http2Error code, string message) => new(code, message);

    private Http2Stream? Find(int id)
    {
        lock (_lock)
        {
            return _streams.GetValueOrDefault(id);
        }
    }

    /// <summary>A frame for a stream not open: an idle one is a protocol error; a closed one is ignored.</summary>
    private void CheckNotIdle(int id, FrameType type)
    {
        if (id > _lastStreamId)
        {
            throw Error(Http2Error.ProtocolError, $"{type} on idle stream {id}");
        }
    }

    private void OnData(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.StreamId == 0)
        {
            throw Error(Http2Error.ProtocolError, "DATA on stream 0");
        }

        if (Interlocked.Add(ref _receiveWindow, -header.Length) < 0)
        {
            throw Error(Http2Error.FlowControlError, "the client sent more DATA than the connection window allows");
        }

        var data = Unpad(header, payload);
        var stream = Find(header.StreamId);
        var padding = header.Length - data.Length;
        if (stream is null || stream.RemoteClosed)
        {
            if (stream is null)
            {
                CheckNotIdle(header.StreamId, header.Type);
            }
            else
            {
                stream.Abort("DATA after the end of the stream");
                Writer.WriteRstStream(header.StreamId, Http2Error.StreamClosed);
            }

            // Not passed on: the connection window gets its credit back at once.
            Interlocked.Add(ref _receiveWindow, header.Length);
            if (header.Length > 0)
            {
                Writer.WriteWindowUpdate(0, header.Length);
            }

            return;
        }

        if (stream.TakeReceiveWindow(header.Length) < 0)
        {
            Writer.WriteRstStream(header.StreamId, Http2Error.FlowControlError);
            stream.Abort("the client sent more DATA than the stream window allows");
            return;
        }

        if (padding > 0)
        {
            Credit(stream, padding);
        }

        stream.OnData(data, header.Has(Http2Frames.EndStream));
    }

    private static ReadOnlySpan<byte> Unpad(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (!header.Has(Http2Frames.Padded))
        {
            return payload;
        }

        if (payload.Length == 0 || payload[0] >= payload.Length)
        {
            throw Error(Http2Error.ProtocolError, $"{header.Type} padding is longer than the frame");
        }

        return payload[1..^payload[0]];
    }

    private void OnHeaders(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var id = header.StreamId;
        if (id == 0 || (id & 1) == 0)
        {
            throw Error(Http2Error.ProtocolError, $"HEADERS on stream {id} (client streams are odd)");
        }

        var fragment = Unpad(header, payload);
        if (header.Has(Http2Frames.PriorityFlag))
        {
            if (fragment.Length < 5)
            {
                throw Error(Http2Error.FrameSizeError, "HEADERS too short for its priority fields");
            }

            if ((BinaryPrimitives.ReadInt32BigEndian(fragment) & int.MaxValue) == id)
            {
                throw Error(Http2Error.ProtocolError, $"stream {id} depends on itself");
            }

            fragment = fragment[5..];
        }

        var open = Find(id);
        if (id > _lastStreamId)
        {
            _lastStreamId = id;
            _blockNew = true;
        }
        else if (open is { RemoteClosed: true })
        {
            throw Error(Http2Error.StreamClosed, $"HEADERS on stream {id} after its END_STREAM");
        }
        else if (open is not null && !header.Has(Http2Frames.EndStream))
        {
            throw Error(Http2Error.ProtocolError, $"trailers on stream {id} without END_STREAM");
        }
        else
        {
            _blockNew = false; // trailers, or a block for a stream already closed (decoded, then ignored)
        }

        _blockLength = 0;
        _blockEndStream = header.Has(Http2Frames.EndStream);
        AppendBlock(fragment);
        if (header.Has(Http2Frames.EndHeaders))
        {
            EndBlock(id);
        }
        else
        {
            Volatile.Write(ref _blockSince, Listener.Time.GetTimestamp());
            Volatile.Write(ref _blockStream, id);
        }
    }

    private void OnContinuation(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (_blockStream == 0)
        {
            throw Error(Http2Error.ProtocolError, "CONTINUATION without HEADERS before it");
        }

        AppendBlock(payload);
        if (header.Has(Http2Frames.EndHeaders))
        {
            var id = _blockStream;
            Volatile.Write(ref _blockStream, 0);
            EndBlock(id);
        }
    }

    private void AppendBlock(ReadOnlySpan<byte> fragment)
    {
        // Twice the header limit: room for HPACK's overhead, and a bound on what an endless CONTINUATION run can cost.
        var limit = 2 * (Listener.Limits.MaxHeaderBytes + Listener.Limits.MaxRequestLineBytes) + 1024;
        if (_blockLength + fragment.Length > limit)
        {
            throw Error(Http2Error.EnhanceYourCalm, $"a header block larger than {limit} bytes");
        }

        if (_blockLength + fragment.Length > _block.Length)
        {
            Array.Resize(ref _block, Math.Max(_block.Length * 2, _blockLength + fragment.Length));
        }

        fragment.CopyTo(_block.AsSpan(_blockLength));
        _blockLength += fragment.Length;
    }

    /// <summary>A whole header block: a new request, or a stream's trailers.</summary>
    private void EndBlock(int id)
    {
        var block = _block.AsSpan(0, _blockLength);
        if (!_blockNew)
        {
            var open = Find(id);
            _decoder.Decode(block, open?.Trailers ?? _discard);
            open?.OnData(default, endStream: true);
            return;
        }

        if (_goingAway || Listener.Stopping || !DirectPath.ServesHttp2(Listener.Handler.Runtime))
        {
            // Shutting down, or a configuration that needs Kestrel now: this connection takes no new streams, the client
            // retries them on a new one.
            _decoder.Decode(block, _discard);
            Writer.WriteRstStream(id, Http2Error.RefusedStream);
            _ = GoAwayAsync(Http2Error.NoError, "the configuration changed");
            return;
        }

        Http2Stream stream;
        lock (_lock)
        {
            if (_streams.Count >= MaxConcurrentStreams)
            {
                stream = null!;
            }
            else
            {
                stream = _pool.Count > 0 ? _pool.Pop() : new Http2Stream(this);
            }
        }

        if (stream is null)
        {
            _decoder.Decode(block, _discard);
            Writer.WriteRstStream(id, Http2Error.RefusedStream);
            return;
        }

        lock (Writer.SyncRoot)
        {
            stream.Begin(id, _peerInitialWindow);
        }

        _decoder.Decode(block, stream);
        lock (_lock)
        {
            _streams.Add(id, stream);
            Writer.OpenStreams = _streams.Count;
        }

        stream.Start(_blockEndStream);
    }

    private void OnPriority(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.StreamId == 0)
        {
            throw Error(Http2Error.ProtocolError, "PRIORITY on stream 0");
        }

        if (payload.Length != 5)
        {
            Writer.WriteRstStream(header.StreamId, Http2Error.FrameSizeError);
        }
    }

    private void OnRstStream(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.StreamId == 0)
        {
            throw Error(Http2Error.ProtocolError, "RST_STREAM on stream 0");
        }

        if (payload.Length != 4)
        {
            throw Error(Http2Error.FrameSizeError, "RST_STREAM must be 4 bytes");
        }

        CheckNotIdle(header.StreamId, header.Type);
        Find(header.StreamId)?.Abort($"the client reset the stream ({(Http2Error)BinaryPrimitives.ReadUInt32BigEndian(payload)})");
    }

    private void OnSettings(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.StreamId != 0)
        {
            throw Error(Http2Error.ProtocolError, "SETTINGS on a stream");
        }

        if (header.Has(Http2Frames.Ack))
        {
            if (payload.Length != 0)
            {
                throw Error(Http2Error.FrameSizeError, "SETTINGS acknowledgement with a payload");
            }

            return;
        }

        if (payload.Length % 6 != 0)
        {
            throw Error(Http2Error.FrameSizeError, "SETTINGS payload not a multiple of 6 bytes");
        }

        _settingsReceived = true;
        for (var i = 0; i < payload.Length; i += 6)
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(payload[(i + 2)..]);
            switch (BinaryPrimitives.ReadUInt16BigEndian(payload[i..]))
            {
                case Http2Frames.EnablePush when value > 1:
                    throw Error(Http2Error.ProtocolError, "SETTINGS_ENABLE_PUSH must be 0 or 1");
                case Http2Frames.InitialWindowSize:
                    if (value > Http2Frames.MaxWindow)
                    {
                        throw Error(Http2Error.FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1");
                    }

                    ChangeInitialWindow((int)value);
                    break;
                case Http2Frames.MaxFrameSize:
                    if (value is < Http2Frames.DefaultMaxFrameSize or > Http2Frames.MaxFrameSizeLimit)
                    {
                        throw Error(Http2Error.ProtocolError, $"SETTINGS_MAX_FRAME_SIZE {value} outside 16384..16777215");
                    }

                    Writer.MaxFrameSize = (int)value;
                    break;
            }
        }

        Writer.WriteFrame(FrameType.Settings, Http2Frames.Ack, 0, default);
    }

    /// <summary>A new SETTINGS_INITIAL_WINDOW_SIZE moves every open stream's send window by the difference (§6.9.2).</summary>
    private void ChangeInitialWindow(int value)
    {
        var delta = value - _peerInitialWindow;
        _peerInitialWindow = value;
        foreach (var stream in Snapshot())
        {
            if (!Writer.AddWindow(stream, delta))
            {
                throw Error(Http2Error.FlowControlError, $"stream {stream.Id}'s window overflows with the new initial window size");
            }
        }
    }

    private void OnPing(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.StreamId != 0)
        {
            throw Error(Http2Error.ProtocolError, "PING on a stream");
        }

        if (payload.Length != 8)
        {
            throw Error(Http2Error.FrameSizeError, "PING must be 8 bytes");
        }

        if (!header.Has(Http2Frames.Ack))
        {
            Writer.WriteFrame(FrameType.Ping, Http2Frames.Ack, 0, payload);
        }
    }

    private void OnWindowUpdate(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        if (payload.Length != 4)
        {
            throw Error(Http2Error.FrameSizeError, "WINDOW_UPDATE must be 4 bytes");
        }

        var increment = BinaryPrimitives.ReadInt32BigEndian(payload) & int.MaxValue;
        if (header.StreamId == 0)
        {
            if (increment == 0 || !Writer.AddWindow(null, increment))
            {
                throw Error(increment == 0 ? Http2Error.ProtocolError : Http2Error.FlowControlError,
                    increment == 0 ? "WINDOW_UPDATE of 0" : "the connection's send window overflowed");
            }

            return;
        }

        CheckNotIdle(header.StreamId, header.Type);
        if (Find(header.StreamId) is not { } stream)
        {
            return;
        }

        if (increment == 0 || !Writer.AddWindow(stream, increment))
        {
            Writer.WriteRstStream(stream.Id, increment == 0 ? Http2Error.ProtocolError : Http2Error.FlowControlError);
            stream.Abort(increment == 0 ? "WINDOW_UPDATE of 0" : "the stream's send window overflowed");
        }
    }

    /// <summary>Sends GOAWAY: no new streams; the connection closes once the streams in progress are done.</summary>
    private async Task GoAwayAsync(Http2Error error, string reason)
    {
        if (_goingAway && error == Http2Error.NoError)
        {
            return;
        }

        _goingAway = true;
        Writer.WriteGoAway(_lastStreamId, error, reason);
        if (error != Http2Error.NoError || IsIdle)
        {
            await CloseAfterDrainAsync().ConfigureAwait(false);
        }
    }

    private async Task CloseAfterDrainAsync()
    {
        var drained = Writer.DrainAsync();
        await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(1), Listener.Time)).ConfigureAwait(false);
        Close();
    }

    /// <summary>Decodes a header block nobody will read (a refused stream): the decoder's table must stay in step.</summary>
    private sealed class DiscardFields : IHpackHandler
    {
        public void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
        }
    }
}
