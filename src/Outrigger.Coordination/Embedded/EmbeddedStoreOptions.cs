namespace Outrigger.Coordination.Embedded;

/// <summary>Options of the embedded (single-node, on-disk) store.</summary>
public sealed record EmbeddedStoreOptions
{
    /// <summary>The store directory (created when missing). Only one process can open it at a time.</summary>
    public required string Directory { get; init; }

    /// <summary>Log records between snapshots (default 10 000). A snapshot also starts when a log segment reaches <see cref="MaxSegmentBytes"/>.</summary>
    public int SnapshotEvery { get; init; } = 10_000;

    /// <summary>Bytes after which the log segment is closed and a snapshot taken (default 64 MiB).</summary>
    public long MaxSegmentBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Revisions of history kept for watches and reads at old revisions (default 100 000). At each snapshot, history
    /// older than this is compacted. 0 keeps everything until <see cref="ICoordinationStore.CompactAsync"/> is called.
    /// </summary>
    public long HistoryRetention { get; init; } = 100_000;

    /// <summary>How often leases are checked for expiry (default 500 ms, as etcd).</summary>
    public TimeSpan LeaseCheckInterval { get; init; } = TimeSpan.FromMilliseconds(500);
}
