using Outrigger.Gateway.Resilience;
using Outrigger.Gateway.Tls;

namespace Outrigger.Gateway.Configuration;

/// <summary>The gateway module's options (section <c>gateway</c>), validated by <see cref="GatewayOptionsReader"/>.</summary>
internal sealed record GatewayOptions
{
    /// <summary>Where <c>KgcSidecar</c> listens. Default <c>0.0.0.0:50051</c> (env <c>LISTEN_ADDR</c>).</summary>
    public string ListenAddress { get; init; } = GatewayOptionsReader.DefaultListen;

    /// <summary>TLS for the app-facing listener; null = h2c.</summary>
    public ServerTlsOptions? Tls { get; init; }

    /// <summary>Transactions per batch, 1..8. Default 8 (env <c>BATCH_SIZE</c>).</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>How long a batch waits after its first transaction. Default 100 ms (env <c>BATCH_TIMEOUT_MS</c>).</summary>
    public TimeSpan BatchTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Additions plus removals allowed in one transaction. Default 10,000.</summary>
    public int MaxTransactionTriples { get; init; } = 10_000;

    /// <summary>Transactions waiting for their batch before new ones are refused with RESOURCE_EXHAUSTED. Default 4096.</summary>
    public int MaxPending { get; init; } = 4096;

    /// <summary>Batches sent to the orchestrator at once. Default 64.</summary>
    public int MaxInflightBatches { get; init; } = 64;

    public UpstreamOptions Orchestrator { get; init; } = new();

    public UpstreamPipelineOptions Resilience { get; init; } = new();
}

/// <summary>The warm orchestrator the gateway forwards to.</summary>
internal sealed record UpstreamOptions
{
    /// <summary><c>http://</c> (h2c) or <c>https://</c>. Default <c>http://localhost:50052</c> (env <c>WARM_ORCHESTRATOR_ENDPOINT</c>).</summary>
    public string Endpoint { get; init; } = GatewayOptionsReader.DefaultEndpoint;

    /// <summary>Deadline of one attempt (sent as <c>grpc-timeout</c>). Default 5 s.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public ClientTlsOptions Tls { get; init; } = new(null, null, null, null);
}
