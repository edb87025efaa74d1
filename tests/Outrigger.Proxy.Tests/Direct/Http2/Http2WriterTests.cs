using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Proxy.Direct;
using Outrigger.Proxy.Direct.Http2;
using Xunit;

namespace Outrigger.Proxy.Tests.Direct.Http2;

/// <summary>
/// The writer's batching: what is appended while it is held leaves in one write when it is released, and outside a batch,
/// with other streams open, at the event thread's next turn.
/// </summary>
public sealed class Http2WriterTests : IDisposable
{
    private const int PingFrameLength = Http2Frames.HeaderLength + 8;

    private readonly Socket _server;
    private readonly Socket _client;

    public Http2WriterTests()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _client.Connect(listener.LocalEndPoint!);
        _server = listener.Accept();
    }

    public void Dispose()
    {
        _server.Dispose();
        _client.Dispose();
    }

    [Fact]
    public async Task Hold_FramesWaitForRelease_ThenLeaveTogetherInOrder()
    {
        var writer = new Http2Writer(_server, turn: null);

        writer.Hold();
        for (byte i = 1; i <= 3; i++)
        {
            writer.WriteFrame(FrameType.Ping, 0, 0, [i, 0, 0, 0, 0, 0, 0, 0]);
        }

        await Task.Delay(100);
        Assert.Equal(0, _client.Available);

        writer.Release();
        var received = await ReceiveAsync(3 * PingFrameLength);

        for (var i = 0; i < 3; i++)
        {
            var frame = FrameHeader.Read(received.AsSpan(i * PingFrameLength));
            Assert.Equal(FrameType.Ping, frame.Type);
            Assert.Equal(8, frame.Length);
            Assert.Equal(i + 1, received[(i * PingFrameLength) + Http2Frames.HeaderLength]);
        }
    }

    [Fact]
    public async Task DrainAsync_WhileHeldWithFramesAppended_CompletesOnlyAfterRelease()
    {
        var writer = new Http2Writer(_server, turn: null);
        writer.Hold();
        writer.WriteFrame(FrameType.Ping, 0, 0, new byte[8]);

        var drained = writer.DrainAsync();
        await Task.Delay(50);
        Assert.False(drained.IsCompleted);

        writer.Release();
        await drained.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(PingFrameLength, (await ReceiveAsync(PingFrameLength)).Length);
    }

    [Fact]
    public async Task DrainAsync_HeldWithNothingAppended_CompletesAtOnce()
    {
        var writer = new Http2Writer(_server, turn: null);
        writer.Hold();

        Assert.True(writer.DrainAsync().IsCompleted);

        writer.Release();
        writer.WriteFrame(FrameType.Ping, 0, 0, new byte[8]);
        Assert.Equal(PingFrameLength, (await ReceiveAsync(PingFrameLength)).Length);
    }

    [Fact]
    public async Task Flush_WithOtherStreamsOpen_WaitsForTheNextTurn()
    {
        using var turn = new NextTurn(NullLogger.Instance);
        using var gate = new ManualResetEventSlim();
        turn.Enqueue(new BlockingWork(gate)); // the turn is busy until the gate opens
        var writer = new Http2Writer(_server, turn) { OpenStreams = 2 };

        writer.WriteFrame(FrameType.Ping, 0, 0, [1, 0, 0, 0, 0, 0, 0, 0]);
        writer.WriteFrame(FrameType.Ping, 0, 0, [2, 0, 0, 0, 0, 0, 0, 0]);
        await Task.Delay(100);
        Assert.Equal(0, _client.Available);

        gate.Set();
        var received = await ReceiveAsync(2 * PingFrameLength);
        Assert.Equal(1, received[Http2Frames.HeaderLength]);
        Assert.Equal(2, received[PingFrameLength + Http2Frames.HeaderLength]);
        await writer.DrainAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Flush_WithNoOtherStreamOpen_SendsAtOnce()
    {
        using var turn = new NextTurn(NullLogger.Instance);
        using var gate = new ManualResetEventSlim();
        turn.Enqueue(new BlockingWork(gate));
        var writer = new Http2Writer(_server, turn) { OpenStreams = 1 };

        try
        {
            writer.WriteFrame(FrameType.Ping, 0, 0, new byte[8]);
            Assert.Equal(PingFrameLength, (await ReceiveAsync(PingFrameLength)).Length);
        }
        finally
        {
            gate.Set();
        }
    }

    private async Task<byte[]> ReceiveAsync(int count)
    {
        var buffer = new byte[count];
        var received = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (received < count)
        {
            var read = await _client.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, timeout.Token);
            Assert.NotEqual(0, read);
            received += read;
        }

        return buffer;
    }

    private sealed class BlockingWork(ManualResetEventSlim gate) : ITurnWork
    {
        public void RunTurn() => gate.Wait(TimeSpan.FromSeconds(10));
    }
}
