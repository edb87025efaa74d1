using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Outrigger.Core.Hosting;
using Outrigger.Gateway.Configuration;
using Outrigger.Gateway.Resilience;
using Outrigger.Gateway.Sidecar;
using Outrigger.Gateway.Telemetry;
using Outrigger.Gateway.Tls;
using Outrigger.Gateway.Upstream;
using Outrigger.Grpc.Server;

namespace Outrigger.Gateway;

/// <summary>The running gateway: its listener, batches, and the client, retry and breaker towards the orchestrator.</summary>
internal sealed partial class GatewayModule : IModule
{
    private readonly GatewayOptions _options;
    private readonly ModuleContext _context;
    private readonly ILogger _logger;
    private readonly WarmOrchestratorClient _client;
    private readonly UpstreamPipeline _pipeline;
    private readonly UpstreamState _upstream;
    private readonly GatewayTelemetry _telemetry;
    private readonly TransactionBatches _batches;
    private HttpServer? _server;

    public GatewayModule(GatewayOptions options, ModuleContext context)
    {
        _options = options;
        _context = context;
        _logger = context.LoggerFactory.CreateLogger("Outrigger.Gateway");
        var time = context.TimeProvider;
        _client = new WarmOrchestratorClient(options.Orchestrator, time, context.LoggerFactory);
        _pipeline = new UpstreamPipeline($"the warm orchestrator {options.Orchestrator.Endpoint}", options.Resilience, GrpcFailures.Instance, time, Random.Shared.NextDouble);
        _upstream = new UpstreamState(options.Orchestrator.Endpoint, _pipeline.Breaker, time);
        _telemetry = new GatewayTelemetry(() => _pipeline.Breaker.State);
        _pipeline.Retrying += OnRetrying;
        _pipeline.Breaker.StateChanged += OnBreakerChanged;
        var limits = new BatchingLimits(options.BatchSize, options.BatchTimeout, options.MaxPending, options.MaxInflightBatches);
        _batches = new TransactionBatches(limits, _client, _pipeline, _upstream, _telemetry, time);
    }

    public string Name => "gateway";

    /// <summary>The bound listen endpoints (after <see cref="StartAsync"/>).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => _server?.EndPoints ?? [];

    internal GatewayTelemetry Telemetry => _telemetry;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { TimeProvider = _context.TimeProvider, LoggerFactory = _context.LoggerFactory });
        new KgcSidecarService(_batches, _client, _pipeline, _upstream, _telemetry, _options.MaxTransactionTriples, _context.TimeProvider).Register(registry);
        var tls = _options.Tls is { } serverTls ? TlsFiles.Listener(serverTls) : null;
        var endpoint = ListenEndpoint.Parse(_options.ListenAddress, tls is null ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2, tls);
        _server = await HttpServer.StartAsync([endpoint], registry.RequestDelegate, _context.LoggerFactory, cancellationToken: cancellationToken).ConfigureAwait(false);
        Log.Listening(_logger, string.Join(", ", _server.EndPoints), _options.Orchestrator.Endpoint, _options.BatchSize, (int)_options.BatchTimeout.TotalMilliseconds);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        using var abort = cancellationToken.Register(_batches.Abort);
        if (_server is not null)
        {
            await _server.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        await _batches.DisposeAsync().ConfigureAwait(false);
    }

    public ModuleHealth GetHealth()
    {
        var detail = _upstream.ToJson();
        detail["listen"] = new JsonArray([.. EndPoints.Select(e => JsonValue.Create(e.ToString()))]);
        return _server is null ? new ModuleHealth(false, "not started", detail) : new ModuleHealth(true, null, detail);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        _batches.Abort();
        await _batches.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
        _telemetry.Dispose();
    }

    private void OnRetrying(string operation, Exception? error)
    {
        _telemetry.Retried(operation);
        Log.Retrying(_logger, operation, error?.Message);
    }

    private void OnBreakerChanged(BreakerState state)
    {
        if (state == BreakerState.Open)
        {
            Log.BreakerOpened(_logger, _options.Orchestrator.Endpoint, _upstream.LastError, (int)_options.Resilience.CircuitBreaker.BreakDuration.TotalSeconds);
        }
        else
        {
            Log.BreakerChanged(_logger, _options.Orchestrator.Endpoint, UpstreamState.Describe(state));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Gateway KgcSidecar listening on {EndPoints}; warm orchestrator {Orchestrator}; batches of up to {BatchSize} or {TimeoutMs} ms")]
        public static partial void Listening(ILogger logger, string endPoints, string orchestrator, int batchSize, int timeoutMs);

        [LoggerMessage(2, LogLevel.Debug, "Retrying {Operation} to the warm orchestrator after: {Error}")]
        public static partial void Retrying(ILogger logger, string operation, string? error);

        [LoggerMessage(3, LogLevel.Warning, "Circuit breaker to the warm orchestrator {Orchestrator} opened (last error: {Error}); calls fail fast for {Seconds} s")]
        public static partial void BreakerOpened(ILogger logger, string orchestrator, string? error, int seconds);

        [LoggerMessage(4, LogLevel.Information, "Circuit breaker to the warm orchestrator {Orchestrator} is now {State}")]
        public static partial void BreakerChanged(ILogger logger, string orchestrator, string state);
    }
}
