using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Proxy.Direct;
using Xunit;

namespace Outrigger.Proxy.Tests.Direct;

/// <summary>The event thread's next turn: queued work runs once, later and elsewhere, and none is lost to races or disposal.</summary>
public sealed class NextTurnTests
{
    [Fact]
    public async Task Enqueue_RunsTheWorkOnTheEventThreadNotTheCaller()
    {
        using var turn = new NextTurn(NullLogger.Instance);
        var work = new RecordingWork();

        turn.Enqueue(work);
        var thread = await work.Ran.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotEqual(Environment.CurrentManagedThreadId, thread);
        Assert.Equal(1, work.Runs);
    }

    [Fact]
    public async Task Enqueue_FromManyThreadsAtOnce_RunsEveryPieceExactlyOnce()
    {
        const int PerThread = 5000;
        using var turn = new NextTurn(NullLogger.Instance);
        var counter = new CountingWork(4 * PerThread);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                turn.Enqueue(counter);
            }
        })));

        await counter.AllRan.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(50);
        Assert.Equal(4 * PerThread, counter.Runs);
    }

    [Fact]
    public async Task Enqueue_FromInsideATurn_RunsThatWorkToo()
    {
        using var turn = new NextTurn(NullLogger.Instance);
        var second = new RecordingWork();
        var first = new RecordingWork(() => turn.Enqueue(second));

        turn.Enqueue(first);

        await second.Ran.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, first.Runs);
    }

    [Fact]
    public async Task Enqueue_AfterDispose_RunsAtOnceOnTheCaller()
    {
        var turn = new NextTurn(NullLogger.Instance);
        turn.Dispose();
        var work = new RecordingWork();

        turn.Enqueue(work);

        Assert.True(work.Ran.Task.IsCompleted);
        Assert.Equal(Environment.CurrentManagedThreadId, await work.Ran.Task);
    }

    private sealed class RecordingWork(Action? action = null) : ITurnWork
    {
        private int _runs;

        public TaskCompletionSource<int> Ran { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Runs => Volatile.Read(ref _runs);

        public void RunTurn()
        {
            Interlocked.Increment(ref _runs);
            action?.Invoke();
            Ran.TrySetResult(Environment.CurrentManagedThreadId);
        }
    }

    private sealed class CountingWork(int expected) : ITurnWork
    {
        private int _runs;

        public TaskCompletionSource AllRan { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Runs => Volatile.Read(ref _runs);

        public void RunTurn()
        {
            if (Interlocked.Increment(ref _runs) == expected)
            {
                AllRan.TrySetResult();
            }
        }
    }
}
