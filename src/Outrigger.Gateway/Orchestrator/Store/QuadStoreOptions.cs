namespace Outrigger.Gateway.Orchestrator.Store;

/// <summary>Settings of a <see cref="QuadStore"/>.</summary>
internal sealed record QuadStoreOptions
{
    /// <summary>Log size in bytes past which the state is snapshotted and the log restarted. Default 64 MiB.</summary>
    public long CompactBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Idempotency keys remembered. Default 1,000,000.</summary>
    public int IdempotencyKeys { get; init; } = 1_000_000;
}
