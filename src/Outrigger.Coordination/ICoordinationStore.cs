namespace Outrigger.Coordination;

/// <summary>
/// A replicated (etcd) or durable single-node (embedded) key-value store shaped after etcd's v3 API:
/// revisioned reads, transactions with comparisons, ordered gap-free watches and leases.
/// Both backends honour the same contract (see docs/coordination.md).
/// </summary>
public interface ICoordinationStore : IAsyncDisposable
{
    /// <summary>The clock used for lease expiry and keep-alive scheduling.</summary>
    TimeProvider TimeProvider { get; }

    Task<RangeResult> RangeAsync(KeyRange range, RangeOptions? options = null, CancellationToken cancellationToken = default);

    Task<PutResult> PutAsync(string key, ReadOnlyMemory<byte> value, long leaseId = 0, CancellationToken cancellationToken = default);

    Task<DeleteResult> DeleteAsync(KeyRange range, CancellationToken cancellationToken = default);

    Task<TxnResult> TxnAsync(Txn txn, CancellationToken cancellationToken = default);

    /// <summary>
    /// Watches <paramref name="range"/> from <paramref name="startRevision"/> (0 = changes after now). Returns once the
    /// watch is established: every change committed after this call returns is delivered.
    /// </summary>
    Task<IWatch> WatchAsync(KeyRange range, long startRevision = 0, CancellationToken cancellationToken = default);

    /// <summary>Grants a lease; the TTL is rounded up to whole seconds.</summary>
    Task<LeaseGrant> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellationToken = default);

    /// <summary>Renews a lease to its granted TTL and returns that TTL. Throws <see cref="CoordinationError.LeaseNotFound"/> when it expired or was revoked.</summary>
    Task<TimeSpan> KeepAliveAsync(long leaseId, CancellationToken cancellationToken = default);

    /// <summary>Revokes a lease and deletes its keys. Throws <see cref="CoordinationError.LeaseNotFound"/> when it does not exist.</summary>
    Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default);

    /// <summary>The lease's remaining and granted TTL and its keys, or null when it does not exist.</summary>
    Task<LeaseInfo?> GetLeaseAsync(long leaseId, CancellationToken cancellationToken = default);

    /// <summary>Drops history before <paramref name="revision"/>; watches and reads below it then fail with <see cref="CompactedException"/>.</summary>
    Task CompactAsync(long revision, CancellationToken cancellationToken = default);

    Task<StoreStatus> StatusAsync(CancellationToken cancellationToken = default);
}
