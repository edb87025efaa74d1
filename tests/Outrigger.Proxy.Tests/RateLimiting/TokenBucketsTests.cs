using Outrigger.Proxy.RateLimiting;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.RateLimiting;

public sealed class TokenBucketsTests
{
    private static RateLimitOptions Options(double rps, int burst, int maxKeys = 1000) => new(true, rps, burst, RateLimitKeySource.Header, "k", maxKeys);

    [Fact]
    public void TryAcquire_BurstSpent_RefusedWithTheTimeUntilTheNextToken()
    {
        using var buckets = new TokenBuckets(Options(rps: 1, burst: 3), TimeProvider.System);
        Assert.True(buckets.TryAcquire("a", out _));
        Assert.True(buckets.TryAcquire("a", out _));
        Assert.True(buckets.TryAcquire("a", out _));
        Assert.False(buckets.TryAcquire("a", out var wait));
        Assert.InRange(wait, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1));
        Assert.True(buckets.TryAcquire("b", out _));
    }

    [Fact]
    public async Task TryAcquire_AfterAPeriod_OneMoreToken()
    {
        using var buckets = new TokenBuckets(Options(rps: 20, burst: 1), TimeProvider.System);
        Assert.True(buckets.TryAcquire("a", out _));
        Assert.False(buckets.TryAcquire("a", out _));
        await Task.Delay(60);
        Assert.True(buckets.TryAcquire("a", out _));
        Assert.False(buckets.TryAcquire("a", out _));
    }

    [Fact]
    public void TryAcquire_FloodOfDistinctKeys_HoldsAtMostMaxKeysAndNewKeysShareTheOverflowBucket()
    {
        // The library refills buckets on its own (real) clock: at 0.01 rps no token comes back however long the flood
        // takes on a loaded machine. Forgetting refilled buckets is judged on the injected clock (burst / rate = 200 s).
        var time = new ManualTimeProvider();
        using var buckets = new TokenBuckets(Options(rps: 0.01, burst: 2, maxKeys: 1000), time);
        for (var i = 0; i < 200_000; i++)
        {
            buckets.TryAcquire($"flood-{i}", out _);
        }

        Assert.Equal(1000, buckets.Count);
        Assert.False(buckets.TryAcquire("newcomer", out _));

        // Tracked keys keep their own state.
        Assert.True(buckets.TryAcquire("flood-0", out _));
        Assert.False(buckets.TryAcquire("flood-0", out _));

        // Once buckets have refilled they are forgotten and new keys get their own again.
        time.Advance(TimeSpan.FromSeconds(200));
        Assert.True(buckets.TryAcquire("newcomer", out _));
        Assert.True(buckets.TryAcquire("newcomer", out _));
        Assert.False(buckets.TryAcquire("newcomer", out _));
        Assert.Equal(1, buckets.Count);
    }
}
