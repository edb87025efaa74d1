namespace Outrigger.Coordination.Tests.Infrastructure;

/// <summary>
/// A real store seen through a connection that can break: while <see cref="Hang"/> is in force, keep-alives get no
/// answer (as from a hung member) until the caller gives up or <see cref="Answer"/> is called; while
/// <see cref="Refuse"/> is in force, they fail at once with <see cref="CoordinationError.Unavailable"/> (as from a
/// dead one). Everything else goes straight to the store. Records when the last successful keep-alive was sent.
/// </summary>
internal sealed class UnreachableStore(ICoordinationStore inner) : ICoordinationStore
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _hung;
    private bool _refusing;
    private long _lastRenewalSent;
    private int _renewals;

    public TimeProvider TimeProvider => inner.TimeProvider;

    /// <summary>Successful keep-alives so far.</summary>
    public int Renewals => Volatile.Read(ref _renewals);

    /// <summary>When (store clock timestamp) the last successful keep-alive was sent.</summary>
    public long LastRenewalSent => Interlocked.Read(ref _lastRenewalSent);

    public void Hang()
    {
        lock (_lock)
        {
            _hung ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Refuse()
    {
        lock (_lock)
        {
            _refusing = true;
        }
    }

    /// <summary>The connection works again: hung keep-alives reach the store now.</summary>
    public void Answer()
    {
        lock (_lock)
        {
            _hung?.TrySetResult();
            _hung = null;
            _refusing = false;
        }
    }

    public async Task<TimeSpan> KeepAliveAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        Task? hung;
        lock (_lock)
        {
            if (_refusing)
            {
                throw new CoordinationException(CoordinationError.Unavailable, "connection refused (test)");
            }

            hung = _hung?.Task;
        }

        var sent = TimeProvider.GetTimestamp();
        if (hung is not null)
        {
            await hung.WaitAsync(cancellationToken);
        }

        var ttl = await inner.KeepAliveAsync(leaseId, cancellationToken);
        Interlocked.Exchange(ref _lastRenewalSent, sent);
        Interlocked.Increment(ref _renewals);
        return ttl;
    }

    public Task<RangeResult> RangeAsync(KeyRange range, RangeOptions? options = null, CancellationToken cancellationToken = default) =>
        inner.RangeAsync(range, options, cancellationToken);

    public Task<PutResult> PutAsync(string key, ReadOnlyMemory<byte> value, long leaseId = 0, CancellationToken cancellationToken = default) =>
        inner.PutAsync(key, value, leaseId, cancellationToken);

    public Task<DeleteResult> DeleteAsync(KeyRange range, CancellationToken cancellationToken = default) =>
        inner.DeleteAsync(range, cancellationToken);

    public Task<TxnResult> TxnAsync(Txn txn, CancellationToken cancellationToken = default) =>
        inner.TxnAsync(txn, cancellationToken);

    public Task<IWatch> WatchAsync(KeyRange range, long startRevision = 0, CancellationToken cancellationToken = default) =>
        inner.WatchAsync(range, startRevision, cancellationToken);

    public Task<LeaseGrant> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken = default) =>
        inner.GrantLeaseAsync(ttl, cancellationToken);

    public Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default) =>
        inner.RevokeLeaseAsync(leaseId, cancellationToken);

    public Task<LeaseInfo?> GetLeaseAsync(long leaseId, CancellationToken cancellationToken = default) =>
        inner.GetLeaseAsync(leaseId, cancellationToken);

    public Task CompactAsync(long revision, CancellationToken cancellationToken = default) =>
        inner.CompactAsync(revision, cancellationToken);

    public Task<StoreStatus> StatusAsync(CancellationToken cancellationToken = default) =>
        inner.StatusAsync(cancellationToken);

    /// <summary>The inner store belongs to the test; nothing to release here.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
