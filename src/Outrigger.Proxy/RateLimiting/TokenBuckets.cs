using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Outrigger.Proxy.RateLimiting;

/// <summary>
/// Token buckets by key: one <see cref="TokenBucketRateLimiter"/> per key (System.Threading.RateLimiting). They are not
/// replenished by the library's timer (one timer per key would not scale): each acquisition first calls
/// <see cref="ReplenishingRateLimiter.TryReplenish"/>, which adds the tokens earned since the last call (the library measures
/// that on its own monotonic clock). Memory is bounded by <see cref="RateLimitOptions.MaxKeys"/> (see there); which buckets
/// have refilled and can be forgotten is judged on the injected clock.
/// </summary>
internal sealed class TokenBuckets : IDisposable
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly RateLimitOptions _options;
    private readonly TimeProvider _time;
    private readonly long _refill;
    private readonly Bucket _overflow;
    private readonly Lock _sweepLock = new();
    private int _count;
    private long _lastSweep;

    public TokenBuckets(RateLimitOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _refill = (long)Math.Ceiling(time.TimestampFrequency * options.BurstSize / options.RequestsPerSecond);
        _overflow = new Bucket(options, time.GetTimestamp());
    }

    /// <summary>Buckets held now (the overflow bucket not counted).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Takes a token from <paramref name="key"/>'s bucket; when there is none, says when the next one comes.</summary>
    public bool TryAcquire(string key, out TimeSpan retryAfter)
    {
        var now = _time.GetTimestamp();
        var bucket = Find(key, now);
        return bucket.TryAcquire(now, out retryAfter);
    }

    public void Dispose()
    {
        foreach (var bucket in _buckets.Values)
        {
            bucket.Dispose();
        }

        _buckets.Clear();
        _overflow.Dispose();
    }

    private Bucket Find(string key, long now)
    {
        if (_buckets.TryGetValue(key, out var bucket))
        {
            return bucket;
        }

        if (Volatile.Read(ref _count) >= _options.MaxKeys && !Sweep(now))
        {
            return _overflow;
        }

        var created = new Bucket(_options, now);
        if (_buckets.TryAdd(key, created))
        {
            Interlocked.Increment(ref _count);
            return created;
        }

        created.Dispose();
        return _buckets.TryGetValue(key, out bucket) ? bucket : _overflow;
    }

    /// <summary>Drops buckets that have refilled (at most once per refill time); true when there is room again.</summary>
    private bool Sweep(long now)
    {
        lock (_sweepLock)
        {
            if (now - _lastSweep >= Math.Min(_refill, _time.TimestampFrequency))
            {
                _lastSweep = now;
                foreach (var (key, bucket) in _buckets)
                {
                    if (now - bucket.LastUsed >= _refill && _buckets.TryRemove(key, out _))
                    {
                        Interlocked.Decrement(ref _count);
                        bucket.Dispose();
                    }
                }
            }
        }

        return Volatile.Read(ref _count) < _options.MaxKeys;
    }

    private sealed class Bucket : IDisposable
    {
        private readonly TokenBucketRateLimiter _limiter;

        public Bucket(RateLimitOptions options, long now)
        {
            LastUsed = now;
            _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.BurstSize,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1 / options.RequestsPerSecond),
                AutoReplenishment = false,
                QueueLimit = 0,
            });
        }

        /// <summary>When a request last asked this bucket for a token (injected clock).</summary>
        public long LastUsed { get; private set; }

        public bool TryAcquire(long now, out TimeSpan retryAfter)
        {
            LastUsed = now;
            _limiter.TryReplenish();
            using var lease = _limiter.AttemptAcquire(1);
            retryAfter = lease.IsAcquired || !lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? TimeSpan.Zero : wait;
            return lease.IsAcquired;
        }

        public void Dispose() => _limiter.Dispose();
    }
}
