using Outrigger.Core.Configuration;
using Outrigger.Gateway.Tls;

namespace Outrigger.Gateway.Orchestrator;

/// <summary>Options of the reference warm orchestrator (<c>outrigger orchestrator</c>), section <c>orchestrator</c>.</summary>
public sealed class OrchestratorOptions
{
    public const string DefaultListen = "0.0.0.0:50052";

    /// <summary>Where <c>knhk.warm.v1.WarmOrchestrator</c> listens. Default 0.0.0.0:50052.</summary>
    public string Listen { get; init; } = DefaultListen;

    /// <summary>Folder of the write-ahead log and snapshot. Default <c>data/orchestrator</c>.</summary>
    public string DataDirectory { get; init; } = Path.Combine("data", "orchestrator");

    /// <summary>Log size (bytes) past which the store is snapshotted and the log restarted. Default 64 MiB.</summary>
    public long CompactBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Idempotency keys remembered (newest first kept). Default 1,000,000.</summary>
    public int IdempotencyKeys { get; init; } = 1_000_000;

    /// <summary>Solutions one query may return; more fail with RESOURCE_EXHAUSTED unless LIMIT is at most this. Default 10,000.</summary>
    public int MaxQueryResults { get; init; } = 10_000;

    /// <summary>Largest request accepted, in bytes. Default 16 MiB (a full batch of 8 large transactions).</summary>
    public int MaxReceiveMessageBytes { get; init; } = 16 * 1024 * 1024;

    internal ServerTlsOptions? Tls { get; init; }

    /// <summary>Reads section <c>orchestrator</c> of <paramref name="root"/>; problems are reported through the reader.</summary>
    public static OrchestratorOptions Read(ConfigReader root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var section = root.Section("orchestrator", "The reference warm orchestrator (outrigger orchestrator): knhk.warm.v1.WarmOrchestrator over a durable quad store.");
        return new OrchestratorOptions
        {
            Listen = section.Address("listen", DefaultListen, "Address WarmOrchestrator listens on."),
            DataDirectory = section.String("data_dir", Path.Combine("data", "orchestrator"), "Folder of the quad store's write-ahead log and snapshot."),
            CompactBytes = section.Long("compact_bytes", 64L * 1024 * 1024, "Write-ahead log size in bytes that triggers a snapshot.", 1024, long.MaxValue),
            IdempotencyKeys = section.Int("idempotency_keys", 1_000_000, "Idempotency keys remembered; the oldest are forgotten first.", 1, 100_000_000),
            MaxQueryResults = section.Int("max_query_results", 10_000, "Solutions one query may return (a query with more fails unless LIMIT is at most this).", 1, 10_000_000),
            MaxReceiveMessageBytes = section.Int("max_receive_message_bytes", 16 * 1024 * 1024, "Largest request accepted, in bytes.", 1024, int.MaxValue),
            Tls = TlsFiles.ReadServer(section.Section("tls", "TLS for the listener (PEM files); client_ca_file requires client certificates. Absent: cleartext h2c.")),
        };
    }
}
