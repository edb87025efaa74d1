using Grpc.Testing;
using Outrigger.Grpc.Server;
using static Outrigger.Grpc.Tests.NumberedMessages;

namespace Outrigger.Grpc.Tests.Server;

/// <summary>The response stream's write coalescing, through a real Kestrel server and our client.</summary>
public sealed class ResponseStreamWriterTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    [Fact]
    public async Task WriteAsync_ManyWithoutAwaiting_ArriveCompleteAndInOrder()
    {
        const int Count = 10_000;
        await using var server = await TestServer.StartAsync(r => r.AddServerStreaming(ServerStream, async (_, responses, _) =>
        {
            var writes = new Task[Count];
            for (var i = 0; i < Count; i++)
            {
                writes[i] = responses.WriteAsync(Response(i));
            }

            await Task.WhenAll(writes);
        }));
        using var channel = server.CreateChannel();
        using var call = channel.AsyncServerStreamingCall(ServerStream, new StreamingOutputCallRequest());

        var numbers = await ReadNumbersAsync(call.ResponseStream, r => r.Payload).WaitAsync(Wait);

        Assert.Equal(Enumerable.Range(0, Count), numbers);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task WriteAsync_FromSeveralTasksAtOnce_EachTasksMessagesArriveInItsOrder()
    {
        const int Tasks = 4;
        const int PerTask = 2_000;
        await using var server = await TestServer.StartAsync(r => r.AddServerStreaming(ServerStream, (_, responses, _) =>
            Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
            {
                for (var i = 0; i < PerTask; i++)
                {
                    await responses.WriteAsync(Response((t * PerTask) + i));
                }
            })))));
        using var channel = server.CreateChannel();
        using var call = channel.AsyncServerStreamingCall(ServerStream, new StreamingOutputCallRequest());

        var numbers = await ReadNumbersAsync(call.ResponseStream, r => r.Payload).WaitAsync(Wait);

        Assert.Equal(Tasks * PerTask, numbers.Count);
        for (var t = 0; t < Tasks; t++)
        {
            Assert.Equal(Enumerable.Range(t * PerTask, PerTask), numbers.Where(n => n / PerTask == t));
        }
    }

    [Fact]
    public async Task BufferHint_FlushedByTheNextWriteWithoutIt()
    {
        var flushes = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(r => r.AddDuplexStreaming(Duplex, async (requests, responses, _) =>
        {
            responses.WriteOptions = Buffered;
            for (var i = 0; i < 100; i++)
            {
                await responses.WriteAsync(Response(i));
            }

            responses.WriteOptions = null;
            await responses.WriteAsync(Response(100));
            flushes.SetResult(FlushesOf(responses));
            await requests.MoveNext(); // the call stays open until the client has read all 101
        }));
        using var channel = server.CreateChannel();
        using var call = channel.AsyncDuplexStreamingCall(Duplex);

        var numbers = await ReadNumbersAsync(call.ResponseStream, r => r.Payload, 101).WaitAsync(Wait);
        await call.RequestStream.CompleteAsync();

        Assert.Equal(Enumerable.Range(0, 101), numbers);
        Assert.Equal(1, await flushes.Task);
    }

    [Fact]
    public async Task BufferHint_FlushedWhenTheHandlerReturns()
    {
        var flushes = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(r => r.AddServerStreaming(ServerStream, async (_, responses, _) =>
        {
            responses.WriteOptions = Buffered;
            for (var i = 0; i < 100; i++)
            {
                await responses.WriteAsync(Response(i));
            }

            flushes.SetResult(FlushesOf(responses));
        }));
        using var channel = server.CreateChannel();
        using var call = channel.AsyncServerStreamingCall(ServerStream, new StreamingOutputCallRequest());

        var numbers = await ReadNumbersAsync(call.ResponseStream, r => r.Payload).WaitAsync(Wait);

        Assert.Equal(Enumerable.Range(0, 100), numbers);
        Assert.Equal(0, await flushes.Task);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task SlowReader_StallsTheWriter_AndBufferingStaysBounded()
    {
        const int Count = 1_000;
        const int Size = 64 * 1024; // 64 MB in all: far more than any buffer between the two ends
        var written = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(r => r.AddServerStreaming(ServerStream, async (_, responses, _) =>
        {
            for (var i = 0; i < Count; i++)
            {
                responses.WriteOptions = i % 2 == 0 ? Buffered : null;
                await responses.WriteAsync(Response(i, Size));
                Interlocked.Increment(ref written);
            }

            done.SetResult();
        }));
        using var channel = server.CreateChannel();
        using var call = channel.AsyncServerStreamingCall(ServerStream, new StreamingOutputCallRequest());

        // The client reads nothing for a while: however long that is, the server must not get far ahead of it.
        var first = await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(1)));
        var ahead = Volatile.Read(ref written);

        Assert.NotSame(done.Task, first);
        Assert.True(ahead <= 32, $"{ahead} messages of 64 KiB were written while nothing was read");
        Assert.Equal(Enumerable.Range(0, Count), await ReadNumbersAsync(call.ResponseStream, r => r.Payload).WaitAsync(Wait));
    }

    [Fact]
    public async Task WriteCancelledWhileQueued_MidBurst_IsNotSentAndTheOthersArriveInOrder()
    {
        var outcome = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(r => r.AddServerStreaming(ServerStream, async (_, responses, _) =>
        {
            // 3 MB that the client does not read yet: the flush stalls, and the writes after it queue.
            var burst = Enumerable.Range(0, 50).Select(i => responses.WriteAsync(Response(i, 64 * 1024))).ToList();
            using var cts = new CancellationTokenSource();
            var cancelled = responses.WriteAsync(Response(-1), cts.Token);
            burst.AddRange(Enumerable.Range(50, 10).Select(i => responses.WriteAsync(Response(i))));
            await cts.CancelAsync();
            outcome.SetResult(await Record.ExceptionAsync(() => cancelled));
            await Task.WhenAll(burst);
        }));
        using var channel = server.CreateChannel();
        using var call = channel.AsyncServerStreamingCall(ServerStream, new StreamingOutputCallRequest());

        Assert.IsAssignableFrom<OperationCanceledException>(await outcome.Task.WaitAsync(Wait));
        Assert.Equal(Enumerable.Range(0, 60), await ReadNumbersAsync(call.ResponseStream, r => r.Payload).WaitAsync(Wait));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    private static int FlushesOf<T>(IServerStreamWriter<T> responses) => ((ResponseStreamWriter<StreamingOutputCallResponse>)(object)responses).Call.Writes.Flushes;
}
