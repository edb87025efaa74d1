using Grpc.Testing;
using Outrigger.Grpc.Client;
using static Outrigger.Grpc.Tests.NumberedMessages;

namespace Outrigger.Grpc.Tests.Client;

/// <summary>The request stream's write coalescing, through our client and a real Kestrel server.</summary>
public sealed class ClientStreamWriterTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    [Fact]
    public async Task WriteAsync_ManyWithoutAwaitingThenComplete_ArriveCompleteAndInOrder()
    {
        const int Count = 10_000;
        var received = new TaskCompletionSource<List<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartCollectingAsync(received);
        using var channel = server.CreateChannel();
        using var call = channel.AsyncClientStreamingCall(ClientStream);

        var writes = Enumerable.Range(0, Count).Select(i => call.RequestStream.WriteAsync(Input(i))).ToList();
        writes.Add(call.RequestStream.CompleteAsync()); // called before the writes finished: goes after them
        await Task.WhenAll(writes).WaitAsync(Wait);
        var response = await call.ResponseAsync.WaitAsync(Wait);

        Assert.Equal(Enumerable.Range(0, Count), await received.Task);
        Assert.Equal(Count, response.AggregatedPayloadSize);
    }

    [Fact]
    public async Task WriteAsync_AfterCompleteAsyncWasCalled_Throws()
    {
        var received = new TaskCompletionSource<List<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartCollectingAsync(received);
        using var channel = server.CreateChannel();
        using var call = channel.AsyncClientStreamingCall(ClientStream);

        var first = call.RequestStream.WriteAsync(Input(0));
        var complete = call.RequestStream.CompleteAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => call.RequestStream.WriteAsync(Input(1)));
        await Task.WhenAll(first, complete).WaitAsync(Wait);
        Assert.Equal([0], await received.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task BufferHint_FlushedByTheNextWriteWithoutIt()
    {
        await using var server = await TestServer.StartAsync(r => r.AddDuplexStreaming(Duplex, async (requests, responses, _) =>
        {
            while (await requests.MoveNext())
            {
                await responses.WriteAsync(new StreamingOutputCallResponse { Payload = requests.Current.Payload });
            }
        }));
        using var channel = server.CreateChannel();
        using var call = channel.AsyncDuplexStreamingCall(Duplex);

        call.RequestStream.WriteOptions = Buffered;
        for (var i = 0; i < 100; i++)
        {
            Assert.True(call.RequestStream.WriteAsync(Output(i)).IsCompletedSuccessfully);
        }

        Assert.Equal(0, FlushesOf(call.RequestStream));
        call.RequestStream.WriteOptions = null;
        await call.RequestStream.WriteAsync(Output(100)).WaitAsync(Wait);
        var echoed = await ReadNumbersAsync(call.ResponseStream, r => r.Payload, 101).WaitAsync(Wait);

        Assert.Equal(Enumerable.Range(0, 101), echoed);
        Assert.Equal(1, FlushesOf(call.RequestStream));
        await call.RequestStream.CompleteAsync();
    }

    [Fact]
    public async Task BufferHint_FlushedByCompleteAsync()
    {
        var received = new TaskCompletionSource<List<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartCollectingAsync(received);
        using var channel = server.CreateChannel();
        using var call = channel.AsyncClientStreamingCall(ClientStream);

        call.RequestStream.WriteOptions = Buffered;
        for (var i = 0; i < 100; i++)
        {
            await call.RequestStream.WriteAsync(Input(i));
        }

        Assert.Equal(0, FlushesOf(call.RequestStream));
        await call.RequestStream.CompleteAsync().WaitAsync(Wait);

        Assert.Equal(Enumerable.Range(0, 100), await received.Task.WaitAsync(Wait));
        Assert.Equal(100, (await call.ResponseAsync.WaitAsync(Wait)).AggregatedPayloadSize);
        Assert.Equal(1, FlushesOf(call.RequestStream));
    }

    [Fact]
    public async Task SlowReader_StallsTheWriter_AndBufferingStaysBounded()
    {
        const int Count = 1_000;
        const int Size = 64 * 1024; // 64 MB in all: far more than any buffer between the two ends
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new TaskCompletionSource<List<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartCollectingAsync(received, release.Task);
        using var channel = server.CreateChannel();
        using var call = channel.AsyncClientStreamingCall(ClientStream);
        var written = 0;

        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < Count; i++)
            {
                call.RequestStream.WriteOptions = i % 2 == 0 ? Buffered : null;
                await call.RequestStream.WriteAsync(Input(i, Size));
                Interlocked.Increment(ref written);
            }

            await call.RequestStream.CompleteAsync();
        });

        // The server reads nothing for a while: however long that is, the client must not get far ahead of it.
        var first = await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(1)));
        var ahead = Volatile.Read(ref written);
        release.SetResult();

        Assert.NotSame(writer, first);
        Assert.True(ahead <= 32, $"{ahead} messages of 64 KiB were written while nothing was read");
        await writer.WaitAsync(Wait);
        Assert.Equal(Enumerable.Range(0, Count), await received.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task WriteCancelledWhileQueued_MidBurst_IsNotSentAndTheOthersArriveInOrder()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new TaskCompletionSource<List<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartCollectingAsync(received, release.Task);
        using var channel = server.CreateChannel();
        using var call = channel.AsyncClientStreamingCall(ClientStream);
        using var cts = new CancellationTokenSource();

        // 3 MB that the server does not read yet: the flush stalls, and the writes after it queue.
        var burst = Enumerable.Range(0, 50).Select(i => call.RequestStream.WriteAsync(Input(i, 64 * 1024))).ToList();
        var cancelled = call.RequestStream.WriteAsync(Input(-1), cts.Token);
        burst.AddRange(Enumerable.Range(50, 10).Select(i => call.RequestStream.WriteAsync(Input(i))));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled).WaitAsync(Wait);
        release.SetResult();
        await Task.WhenAll(burst).WaitAsync(Wait);
        await call.RequestStream.CompleteAsync().WaitAsync(Wait);
        Assert.Equal(Enumerable.Range(0, 60), await received.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task WriteCancelledWhileItsFlushIsStalled_CancelsTheCall()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestServer.StartAsync(r => r.AddClientStreaming(ClientStream, async (_, context) =>
        {
            context.CancellationToken.Register(serverCancelled.SetResult);
            started.SetResult();
            await release.Task;
            return new StreamingInputCallResponse();
        }));
        using var channel = server.CreateChannel();
        using var call = channel.AsyncClientStreamingCall(ClientStream);
        using var cts = new CancellationTokenSource();

        // 3 MB that the server does not read: one write's flush stalls on flow control, the others queue behind it.
        var burst = Enumerable.Range(0, 50).Select(i => call.RequestStream.WriteAsync(Input(i, 64 * 1024), cts.Token)).ToList();
        await started.Task.WaitAsync(Wait);
        await cts.CancelAsync();

        foreach (var write in burst)
        {
            var error = await Record.ExceptionAsync(() => write.WaitAsync(Wait));
            Assert.True(error is null or OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled }, error?.ToString());
        }

        Assert.Equal(StatusCode.Cancelled, (await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(Wait))).StatusCode);
        await serverCancelled.Task.WaitAsync(Wait);
        release.SetResult();
    }

    [Fact]
    public async Task Duplex_BurstsBothWays_ArriveCompleteAndInOrder()
    {
        const int Count = 5_000;
        await using var server = await TestServer.StartAsync(r => r.AddDuplexStreaming(Duplex, async (requests, responses, _) =>
        {
            var echoes = new List<Task>();
            while (await requests.MoveNext())
            {
                echoes.Add(responses.WriteAsync(new StreamingOutputCallResponse { Payload = requests.Current.Payload }));
            }

            await Task.WhenAll(echoes);
        }));
        using var channel = server.CreateChannel();
        using var call = channel.AsyncDuplexStreamingCall(Duplex);

        var writes = Enumerable.Range(0, Count).Select(i => call.RequestStream.WriteAsync(Output(i))).ToList();
        writes.Add(call.RequestStream.CompleteAsync());
        var echoed = await ReadNumbersAsync(call.ResponseStream, r => r.Payload).WaitAsync(Wait);
        await Task.WhenAll(writes).WaitAsync(Wait);

        Assert.Equal(Enumerable.Range(0, Count), echoed);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    /// <summary>A client-streaming server that (after <paramref name="gate"/>) reads every request's number.</summary>
    private static Task<TestServer> StartCollectingAsync(TaskCompletionSource<List<int>> received, Task? gate = null) =>
        TestServer.StartAsync(r => r.AddClientStreaming(ClientStream, async (requests, _) =>
        {
            if (gate is not null)
            {
                await gate;
            }

            var numbers = await ReadNumbersAsync(requests, q => q.Payload);
            received.SetResult(numbers);
            return new StreamingInputCallResponse { AggregatedPayloadSize = numbers.Count };
        }), new Outrigger.Grpc.Server.GrpcServerOptions { EnableDetailedErrors = true });

    private static int FlushesOf<T>(IClientStreamWriter<T> requests) =>
        (object)requests switch
        {
            ClientStreamWriter<StreamingOutputCallRequest, StreamingOutputCallResponse> duplex => duplex.Writes.Flushes,
            ClientStreamWriter<StreamingInputCallRequest, StreamingInputCallResponse> input => input.Writes.Flushes,
            _ => throw new InvalidOperationException("not our writer"),
        };
}
