using Outrigger.Gateway.Resilience;
using Outrigger.Gateway.Tests.Fakes;

namespace Outrigger.Gateway.Tests.Resilience;

public sealed class ConsecutiveFailureBreakerTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly ConsecutiveFailureBreaker _breaker;
    private readonly List<BreakerState> _changes = [];

    public ConsecutiveFailureBreakerTests()
    {
        _breaker = new ConsecutiveFailureBreaker(new CircuitBreakerOptions(), _time);
        _breaker.StateChanged += _changes.Add;
    }

    [Fact]
    public void OnFailure_FiveInARow_OpensAndRefusesWithRetryAfter()
    {
        Fail(4);
        Assert.Equal(BreakerState.Closed, _breaker.State);

        Fail(1);

        Assert.Equal(BreakerState.Open, _breaker.State);
        Assert.False(_breaker.TryAcquire(out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(60), retryAfter);
    }

    [Fact]
    public void OnSuccess_BetweenFailures_ResetsTheCount()
    {
        Fail(4);
        Succeed();
        Fail(4);

        Assert.Equal(BreakerState.Closed, _breaker.State);
        Fail(1);
        Assert.Equal(BreakerState.Open, _breaker.State);
    }

    [Fact]
    public void TryAcquire_AfterBreakDuration_LetsExactlyOneProbeThrough()
    {
        Fail(5);
        _time.Advance(TimeSpan.FromSeconds(59.9));
        Assert.False(_breaker.TryAcquire(out _));

        _time.Advance(TimeSpan.FromSeconds(0.1));

        Assert.True(_breaker.TryAcquire(out _));
        Assert.Equal(BreakerState.HalfOpen, _breaker.State);
        Assert.False(_breaker.TryAcquire(out _));
    }

    [Fact]
    public void OnSuccess_OfTheProbe_Closes()
    {
        Fail(5);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(_breaker.TryAcquire(out _));

        _breaker.OnSuccess();

        Assert.Equal(BreakerState.Closed, _breaker.State);
        Assert.Equal([BreakerState.Open, BreakerState.HalfOpen, BreakerState.Closed], _changes);
        Assert.True(_breaker.TryAcquire(out _));
    }

    [Fact]
    public void OnFailure_OfTheProbe_OpensForAnotherPeriod()
    {
        Fail(5);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(_breaker.TryAcquire(out _));

        _breaker.OnFailure();

        Assert.Equal(BreakerState.Open, _breaker.State);
        Assert.False(_breaker.TryAcquire(out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(60), retryAfter);
    }

    [Fact]
    public void OnAbandoned_OfTheProbe_LetsAnotherProbeThrough()
    {
        Fail(5);
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(_breaker.TryAcquire(out _));

        _breaker.OnAbandoned();

        Assert.True(_breaker.TryAcquire(out _));
    }

    [Fact]
    public void SuccessThreshold_Two_NeedsTwoProbes()
    {
        var breaker = new ConsecutiveFailureBreaker(new CircuitBreakerOptions { SuccessThreshold = 2 }, _time);
        for (var i = 0; i < 5; i++)
        {
            breaker.OnFailure();
        }

        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.True(breaker.TryAcquire(out _));
        breaker.OnSuccess();
        Assert.Equal(BreakerState.HalfOpen, breaker.State);
        Assert.True(breaker.TryAcquire(out _));
        breaker.OnSuccess();
        Assert.Equal(BreakerState.Closed, breaker.State);
    }

    private void Fail(int times)
    {
        for (var i = 0; i < times; i++)
        {
            Assert.True(_breaker.TryAcquire(out _));
            _breaker.OnFailure();
        }
    }

    private void Succeed()
    {
        Assert.True(_breaker.TryAcquire(out _));
        _breaker.OnSuccess();
    }
}
