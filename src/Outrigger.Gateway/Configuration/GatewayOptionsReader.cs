using Outrigger.Core.Configuration;
using Outrigger.Gateway.Resilience;
using Outrigger.Gateway.Tls;

namespace Outrigger.Gateway.Configuration;

/// <summary>Reads section <c>gateway</c> (spec 000's variables LISTEN_ADDR, WARM_ORCHESTRATOR_ENDPOINT, BATCH_SIZE, BATCH_TIMEOUT_MS map onto it).</summary>
internal static class GatewayOptionsReader
{
    public const string DefaultListen = "0.0.0.0:50051";
    public const string DefaultEndpoint = "http://localhost:50052";
    public const int MaxBatchSize = 8;

    public static GatewayOptions Read(ConfigReader root)
    {
        var gateway = root.Section("gateway", "The KGC transaction sidecar (spec 000): knhk.sidecar.v1.KgcSidecar, batching to a warm orchestrator.");
        return new GatewayOptions
        {
            ListenAddress = gateway.Address("listen_addr", DefaultListen, "Address KgcSidecar listens on (env LISTEN_ADDR)."),
            Tls = TlsFiles.ReadServer(gateway.Section("tls", "TLS for the app-facing listener (PEM files). Absent: cleartext h2c.")),
            BatchSize = ReadBatchSize(gateway),
            BatchTimeout = Milliseconds(gateway, "batch_timeout_ms", 100, "Milliseconds a batch waits after its first transaction before it is sent (env BATCH_TIMEOUT_MS).", 1, 60_000),
            MaxTransactionTriples = gateway.Int("max_transaction_triples", 10_000, "Additions plus removals allowed in one transaction; larger ones fail with INVALID_ARGUMENT.", 1, 1_000_000),
            MaxPending = gateway.Int("max_pending", 4096, "Transactions waiting for a batch before new ones fail with RESOURCE_EXHAUSTED.", 1, 1_000_000),
            MaxInflightBatches = gateway.Int("max_inflight_batches", 64, "Batches sent to the orchestrator concurrently.", 1, 4096),
            Orchestrator = ReadUpstream(gateway.Section("orchestrator", "The warm orchestrator (knhk.warm.v1.WarmOrchestrator) batches are sent to.")),
            Resilience = new UpstreamPipelineOptions
            {
                Retry = ReadRetry(gateway.Section("retry", "Retries of a batch or query; only retryable failures (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED).")),
                CircuitBreaker = ReadBreaker(gateway.Section("circuit_breaker", "The breaker in front of the orchestrator, shared by transactions and queries.")),
            },
        };
    }

    /// <summary>The batch guard: 1..8 (the spec's max_batch_size ≤ 8). Anything else refuses to start, naming the guard.</summary>
    private static int ReadBatchSize(ConfigReader gateway)
    {
        var size = gateway.Int("batch_size", MaxBatchSize, $"Transactions per batch (env BATCH_SIZE). Guard: 1..{MaxBatchSize}.");
        if (size is < 1 or > MaxBatchSize)
        {
            gateway.Error("batch_size", $"{size} violates the batch size guard: batch_size must be between 1 and {MaxBatchSize} (max_batch_size ≤ {MaxBatchSize})");
            return MaxBatchSize;
        }

        return size;
    }

    private static UpstreamOptions ReadUpstream(ConfigReader orchestrator)
    {
        return new UpstreamOptions
        {
            Endpoint = orchestrator.Url("endpoint", DefaultEndpoint, "The orchestrator's address: http:// (h2c) or https:// (env WARM_ORCHESTRATOR_ENDPOINT).", "http", "https"),
            AttemptTimeout = Milliseconds(orchestrator, "timeout_ms", 5000, "Deadline of one attempt in milliseconds (sent as grpc-timeout).", 1, 600_000),
            Tls = TlsFiles.ReadClient(orchestrator.Section("tls", "TLS towards an https:// endpoint: extra trust roots, client certificate (mTLS), expected name.")),
        };
    }

    private static RetrySchedule ReadRetry(ConfigReader retry) => new()
    {
        MaxAttempts = retry.Int("max_attempts", 4, "Attempts in all, the first included (1 = no retry).", 1, 10),
        BaseDelay = Milliseconds(retry, "base_delay_ms", 100, "Delay before the first retry; it doubles for each further one (100 → 0, 100, 200, 400 ms).", 0, 60_000),
        Jitter = retry.Double("jitter", 0.2, "Fraction by which each delay varies at random, both ways (0.2 = ±20%).", 0, 1),
    };

    private static CircuitBreakerOptions ReadBreaker(ConfigReader breaker) => new()
    {
        FailureThreshold = breaker.Int("failure_threshold", 5, "Consecutive failed attempts that open the breaker.", 1, 1000),
        BreakDuration = Milliseconds(breaker, "break_duration_ms", 60_000, "How long the breaker stays open before one probe is let through.", 1, 3_600_000),
        SuccessThreshold = breaker.Int("success_threshold", 1, "Successful probes that close a half-open breaker.", 1, 1000),
    };

    private static TimeSpan Milliseconds(ConfigReader reader, string key, int defaultValue, string doc, int min, int max) =>
        TimeSpan.FromMilliseconds(reader.Int(key, defaultValue, doc, min, max));
}
