using System.Collections.Concurrent;
using Outrigger.Gateway.Batching;
using Outrigger.Gateway.Tests.Fakes;

namespace Outrigger.Gateway.Tests.Batching;

public sealed class BatcherTests
{
    private static readonly TimeSpan Timeout100 = TimeSpan.FromMilliseconds(100);
    private readonly FakeTimeProvider _time = new();
    private readonly ConcurrentQueue<(int[] Items, FlushReason Reason)> _flushes = new();

    [Fact]
    public async Task SubmitAsync_BurstOfEight_FlushesAtOnceWithoutWaitingForTheTimer()
    {
        await using var batcher = Create(8);

        var calls = Enumerable.Range(1, 8).Select(i => batcher.SubmitAsync(i)).ToArray();
        var results = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(1, 8).Select(i => i * 10), results);
        var flush = Assert.Single(_flushes);
        Assert.Equal(FlushReason.Size, flush.Reason);
        Assert.Equal(8, flush.Items.Length);
        Assert.Equal(0, _time.ActiveTimers);
    }

    [Fact]
    public async Task SubmitAsync_LoneItem_FlushesAtTheTimeoutAndNotBefore()
    {
        await using var batcher = Create(8);

        var call = batcher.SubmitAsync(7);
        _time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(call.IsCompleted);
        Assert.Empty(_flushes);

        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(70, await call);
        var flush = Assert.Single(_flushes);
        Assert.Equal(FlushReason.Timeout, flush.Reason);
        Assert.Equal([7], flush.Items);
    }

    [Fact]
    public async Task SubmitAsync_TwentyConcurrent_MakesBatchesOfEightEightAndFourEachCallerGettingItsOwnResult()
    {
        await using var batcher = Create(8);

        var calls = new Task<int>[20];
        Parallel.For(0, 20, i => calls[i] = batcher.SubmitAsync(i));
        Assert.Equal(4, batcher.Waiting);
        _time.Advance(Timeout100);
        var results = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * 10), results);
        Assert.Equal([8, 8, 4], _flushes.Select(f => f.Items.Length).Order().Reverse());
        Assert.Equal(Enumerable.Range(0, 20), _flushes.SelectMany(f => f.Items).Order());
    }

    [Fact]
    public async Task SubmitAsync_TimerOfAFullBatch_DoesNotFlushTheNextBatchEarly()
    {
        await using var batcher = Create(2);
        var first = batcher.SubmitAsync(1);
        _time.Advance(TimeSpan.FromMilliseconds(60));
        var second = batcher.SubmitAsync(2);
        await Task.WhenAll(first, second);

        var third = batcher.SubmitAsync(3);
        _time.Advance(TimeSpan.FromMilliseconds(60));
        Assert.False(third.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(40));

        Assert.Equal(30, await third);
    }

    [Fact]
    public async Task SubmitAsync_HandlerThrows_FailsEveryItemOfThatBatchOnly()
    {
        await using var batcher = new Batcher<int, int>(2, Timeout100, (items, _) => items[0] < 0 ? throw new InvalidOperationException("upstream down") : Task.FromResult<IReadOnlyList<int>>([.. items]), _time);

        var bad = new[] { batcher.SubmitAsync(-1), batcher.SubmitAsync(-2) };
        var good = new[] { batcher.SubmitAsync(1), batcher.SubmitAsync(2) };

        foreach (var call in bad)
        {
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => call);
            Assert.Equal("upstream down", ex.Message);
        }

        int[] results = await Task.WhenAll(good);
        Assert.Equal([1, 2], results);
    }

    [Fact]
    public async Task SubmitAsync_CancelledBeforeFlush_IsLeftOutOfTheBatch()
    {
        await using var batcher = Create(8);
        using var cts = new CancellationTokenSource();

        var cancelled = batcher.SubmitAsync(1, cts.Token);
        var kept = batcher.SubmitAsync(2);
        await cts.CancelAsync();
        _time.Advance(Timeout100);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(20, await kept);
        Assert.Equal([2], Assert.Single(_flushes).Items);
    }

    [Fact]
    public async Task DisposeAsync_WithOpenBatch_SendsItAndRefusesNewItems()
    {
        var batcher = Create(8);
        var call = batcher.SubmitAsync(5);

        await batcher.DisposeAsync();

        Assert.Equal(50, await call);
        Assert.Equal(FlushReason.Shutdown, Assert.Single(_flushes).Reason);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => batcher.SubmitAsync(6));
    }

    private Batcher<int, int> Create(int size) => new(size, Timeout100, Handle, _time);

    private Task<IReadOnlyList<int>> Handle(IReadOnlyList<int> items, FlushReason reason)
    {
        _flushes.Enqueue(([.. items], reason));
        return Task.FromResult<IReadOnlyList<int>>(items.Select(i => i * 10).ToArray());
    }
}
