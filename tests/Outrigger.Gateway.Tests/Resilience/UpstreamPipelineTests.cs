using Outrigger.Gateway.Resilience;
using Outrigger.Gateway.Tests.Fakes;
using Polly.CircuitBreaker;

namespace Outrigger.Gateway.Tests.Resilience;

public sealed class UpstreamPipelineTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<DateTimeOffset> _attempts = [];
    private readonly List<string> _retries = [];
    private readonly UpstreamPipeline _pipeline;

    public UpstreamPipelineTests()
    {
        var failures = new UpstreamFailures(ex => ex is TransientException, ex => ex is TransientException or FatalException);
        _pipeline = new UpstreamPipeline("the warm orchestrator http://test:1", new UpstreamPipelineOptions(), failures, _time, () => 0.5);
        _pipeline.Retrying += (operation, _) => _retries.Add(operation);
    }

    [Fact]
    public async Task ExecuteAsync_TransientFailures_RetriesAt100And200And400Ms()
    {
        var call = _pipeline.ExecuteAsync("batch", FailTimes(3, new TransientException()), CancellationToken.None).AsTask();

        while (await _time.AdvanceToNextTimerAsync(call))
        {
        }

        Assert.Equal("ok", await call);
        var start = _attempts[0];
        Assert.Equal([0d, 100, 300, 700], _attempts.Select(a => (a - start).TotalMilliseconds));
        Assert.Equal(["batch", "batch", "batch"], _retries);
    }

    [Fact]
    public async Task ExecuteAsync_AlwaysTransient_GivesUpAfterFourAttemptsWithTheLastError()
    {
        var call = _pipeline.ExecuteAsync("batch", FailTimes(10, new TransientException()), CancellationToken.None).AsTask();

        while (await _time.AdvanceToNextTimerAsync(call))
        {
        }

        await Assert.ThrowsAsync<TransientException>(() => call);
        Assert.Equal(4, _attempts.Count);
    }

    [Fact]
    public async Task ExecuteAsync_NonRetryableFailure_IsNotRetriedAndDoesNotCountAgainstTheBreaker()
    {
        for (var i = 0; i < 6; i++)
        {
            await Assert.ThrowsAsync<ArgumentException>(() => _pipeline.ExecuteAsync("query", FailTimes(1, new ArgumentException("bad sparql")), CancellationToken.None).AsTask());
        }

        Assert.Equal(6, _attempts.Count);
        Assert.Equal(BreakerState.Closed, _pipeline.Breaker.State);
    }

    [Fact]
    public async Task ExecuteAsync_FiveFailedAttempts_OpensTheBreakerAndFailsFastWithoutCallingOrRetrying()
    {
        var first = _pipeline.ExecuteAsync("batch", FailTimes(100, new TransientException()), CancellationToken.None).AsTask();
        while (await _time.AdvanceToNextTimerAsync(first))
        {
        }

        await Assert.ThrowsAsync<TransientException>(() => first);
        Assert.Equal(4, _attempts.Count);
        var second = _pipeline.ExecuteAsync("batch", FailTimes(100, new TransientException()), CancellationToken.None).AsTask();
        while (await _time.AdvanceToNextTimerAsync(second))
        {
        }

        var broken = await Assert.ThrowsAsync<BrokenCircuitException>(() => second);
        Assert.Equal(5, _attempts.Count);
        var third = _pipeline.ExecuteAsync("batch", FailTimes(0, null), CancellationToken.None).AsTask();
        Assert.True(third.IsCompleted);
        await Assert.ThrowsAsync<BrokenCircuitException>(() => third);
        Assert.Equal(5, _attempts.Count);
        Assert.Contains("circuit breaker to the warm orchestrator http://test:1 is open", broken.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(59.9), broken.RetryAfter);
        Assert.Equal(BreakerState.Open, _pipeline.Breaker.State);
    }

    [Fact]
    public async Task ExecuteAsync_AfterBreakDuration_ProbeSucceedsAndCloses()
    {
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<FatalException>(() => _pipeline.ExecuteAsync("q", FailTimes(1, new FatalException()), CancellationToken.None).AsTask());
        }

        await Assert.ThrowsAsync<BrokenCircuitException>(() => _pipeline.ExecuteAsync("q", FailTimes(0, null), CancellationToken.None).AsTask());
        _time.Advance(TimeSpan.FromSeconds(60));

        Assert.Equal("ok", await _pipeline.ExecuteAsync("q", FailTimes(0, null), CancellationToken.None));
        Assert.Equal(BreakerState.Closed, _pipeline.Breaker.State);
    }

    [Fact]
    public async Task ExecuteAsync_CallerCancels_IsNotRetried()
    {
        using var cts = new CancellationTokenSource();
        var call = _pipeline.ExecuteAsync(
            "batch",
            async ct =>
            {
                await cts.CancelAsync();
                ct.ThrowIfCancellationRequested();
                return "unreachable";
            },
            cts.Token).AsTask();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Empty(_retries);
        Assert.Equal(BreakerState.Closed, _pipeline.Breaker.State);
    }

    private Func<CancellationToken, Task<string>> FailTimes(int failures, Exception? error)
    {
        var calls = 0;
        return _ =>
        {
            _attempts.Add(_time.GetUtcNow());
            return ++calls <= failures ? Task.FromException<string>(error!) : Task.FromResult("ok");
        };
    }

    private sealed class TransientException : Exception;

    private sealed class FatalException : Exception;
}
