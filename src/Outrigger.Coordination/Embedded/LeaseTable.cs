namespace Outrigger.Coordination.Embedded;

/// <summary>A lease: its TTL, when it expires on the store's clock, and the keys attached to it.</summary>
internal sealed class Lease(long id, long ttlSeconds)
{
    public long Id { get; } = id;

    public long TtlSeconds { get; } = ttlSeconds;

    public TimeSpan Ttl => TimeSpan.FromSeconds(TtlSeconds);

    /// <summary>Expiry as a <see cref="TimeProvider.GetTimestamp"/> value.</summary>
    public long ExpiresAt { get; set; }

    /// <summary>Set when a revoke for the expired lease has been queued.</summary>
    public bool Revoking { get; set; }

    public HashSet<byte[]> Keys { get; } = new(ByteKeys.Instance);
}

/// <summary>The leases of the embedded store. Not thread-safe: used under the store's lock.</summary>
internal sealed class LeaseTable(TimeProvider time)
{
    private readonly Dictionary<long, Lease> _leases = [];

    public IEnumerable<Lease> All => _leases.Values;

    public int Count => _leases.Count;

    public Lease? Find(long id) => _leases.GetValueOrDefault(id);

    /// <summary>A lease that has not expired, or null.</summary>
    public Lease? FindLive(long id) => _leases.TryGetValue(id, out var lease) && !IsExpired(lease) ? lease : null;

    public Lease Add(long id, long ttlSeconds)
    {
        var lease = new Lease(id, ttlSeconds);
        Refresh(lease);
        _leases.Add(id, lease);
        return lease;
    }

    public void Remove(long id) => _leases.Remove(id);

    public void Refresh(Lease lease) => lease.ExpiresAt = time.GetTimestamp() + (long)(lease.TtlSeconds * (double)time.TimestampFrequency);

    public bool IsExpired(Lease lease) => time.GetTimestamp() >= lease.ExpiresAt;

    public TimeSpan Remaining(Lease lease)
    {
        var ticks = lease.ExpiresAt - time.GetTimestamp();
        return ticks <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Ceiling(ticks / (double)time.TimestampFrequency));
    }

    /// <summary>Marks expired leases as being revoked and returns their ids.</summary>
    public List<long> TakeExpired()
    {
        var expired = new List<long>();
        foreach (var lease in _leases.Values)
        {
            if (!lease.Revoking && IsExpired(lease))
            {
                lease.Revoking = true;
                expired.Add(lease.Id);
            }
        }

        return expired;
    }

    public void Attach(long id, byte[] key) => _leases.GetValueOrDefault(id)?.Keys.Add(key);

    public void Detach(long id, byte[] key) => _leases.GetValueOrDefault(id)?.Keys.Remove(key);
}
