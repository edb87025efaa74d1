using Outrigger.Grpc.Protocol;

namespace Outrigger.Grpc.Tests.Protocol;

/// <summary>The coalescer's decisions against a fake transport whose flushes the test holds and releases.</summary>
public sealed class WriteCoalescerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task CommitAsync_WritesQueuedBehindAFlush_AreSentInOrderByOneMoreFlush()
    {
        var transport = new FakeTransport { Held = true };
        var writes = transport.Attach(new WriteCoalescer(transport.FlushAsync));
        var framed = new List<int>();

        var first = WriteAsync(writes, framed, 0, 10, hint: false);
        var rest = Enumerable.Range(1, 99).Select(i => WriteAsync(writes, framed, i, 10, hint: false)).ToList();
        Assert.False(first.IsCompleted);
        Assert.Equal([0], framed);
        transport.Release();
        await Task.WhenAll(rest.Prepend(first)).WaitAsync(Wait);

        Assert.Equal(Enumerable.Range(0, 100), framed);
        Assert.Equal(2, writes.Flushes);
        Assert.Equal([10, 990], transport.FlushedBytes);
    }

    [Fact]
    public async Task CommitAsync_BufferHint_DoesNotFlushUntilAWriteWithoutIt()
    {
        var transport = new FakeTransport();
        var writes = transport.Attach(new WriteCoalescer(transport.FlushAsync));
        var framed = new List<int>();

        for (var i = 0; i < 3; i++)
        {
            Assert.True(WriteAsync(writes, framed, i, 100, hint: true).IsCompletedSuccessfully);
        }

        Assert.Equal(0, writes.Flushes);
        await WriteAsync(writes, framed, 3, 100, hint: false);

        Assert.Equal([400], transport.FlushedBytes);
    }

    [Fact]
    public async Task CommitAsync_BufferHintPastTheLimit_FlushesAndASlowTransportStallsLaterWrites()
    {
        var transport = new FakeTransport { Held = true };
        var writes = transport.Attach(new WriteCoalescer(transport.FlushAsync));
        var framed = new List<int>();
        const int Size = WriteCoalescer.MaxUnflushedBytes / 4;

        var early = Enumerable.Range(0, 3).Select(i => WriteAsync(writes, framed, i, Size, hint: true)).ToList();
        var atLimit = WriteAsync(writes, framed, 3, Size, hint: true);
        var later = Enumerable.Range(4, 10).Select(i => WriteAsync(writes, framed, i, Size, hint: true)).ToList();

        Assert.All(early, t => Assert.True(t.IsCompletedSuccessfully));
        Assert.False(atLimit.IsCompleted);
        Assert.All(later, t => Assert.False(t.IsCompleted));
        Assert.Equal([0, 1, 2, 3], framed); // the stalled flush holds back framing: nothing more is buffered
        transport.Release();
        await Task.WhenAll(later.Append(atLimit)).WaitAsync(Wait);
        Assert.Equal(Enumerable.Range(0, 14), framed);
        Assert.Equal(Enumerable.Repeat(WriteCoalescer.MaxUnflushedBytes, 3), transport.FlushedBytes);
        Assert.Equal(2 * Size, writes.UnflushedBytes); // the last two are hinted and under the limit: still buffered
    }

    [Fact]
    public async Task EnterAsync_CancelledBeforeItsTurn_MessageNotFramedAndTheFlushLeftToItHappensAnyway()
    {
        var transport = new FakeTransport();
        var writes = transport.Attach(new WriteCoalescer(transport.FlushAsync));
        using var cts = new CancellationTokenSource();

        await writes.EnterAsync(CancellationToken.None);
        var queued = writes.EnterAsync(cts.Token).AsTask();
        await writes.CommitAsync(10, bufferHint: false, CancellationToken.None); // leaves its flush to the queued write
        Assert.Equal(0, writes.Flushes);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        writes.Exit();

        Assert.Equal(10, await transport.FirstFlush.WaitAsync(Wait));
    }

    [Fact]
    public async Task Exit_QueuedWriteFails_TheFlushLeftToItHappensAnyway()
    {
        var transport = new FakeTransport();
        var writes = transport.Attach(new WriteCoalescer(transport.FlushAsync));

        await writes.EnterAsync(CancellationToken.None);
        var queued = writes.EnterAsync(CancellationToken.None).AsTask();
        await writes.CommitAsync(10, bufferHint: false, CancellationToken.None);
        writes.Exit();
        await queued;
        writes.Exit(); // the queued write gave up without committing (say its message was too large)

        Assert.Equal(10, await transport.FirstFlush.WaitAsync(Wait));
    }

    private static async Task WriteAsync(WriteCoalescer writes, List<int> framed, int index, int bytes, bool hint)
    {
        await writes.EnterAsync(CancellationToken.None);
        try
        {
            framed.Add(index);
            await writes.CommitAsync(bytes, hint, CancellationToken.None);
        }
        finally
        {
            writes.Exit();
        }
    }

    /// <summary>Records how many bytes each flush sent; while <see cref="Held"/>, flushes wait for <see cref="Release"/>.</summary>
    private sealed class FakeTransport
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<int> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private WriteCoalescer? _writes;

        public bool Held { get; init; }

        public List<int> FlushedBytes { get; } = [];

        public Task<int> FirstFlush => _first.Task;

        public void Release() => _gate.TrySetResult();

        public async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            if (Held)
            {
                await _gate.Task.WaitAsync(cancellationToken);
            }

            var bytes = _writes!.UnflushedBytes;
            FlushedBytes.Add(bytes);
            _first.TrySetResult(bytes);
        }

        public WriteCoalescer Attach(WriteCoalescer writes) => _writes = writes;
    }
}
