using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Core.Admin;
using Outrigger.Core.Hosting;
using Outrigger.Gateway.Configuration;
using Outrigger.Gateway.Orchestrator;
using Outrigger.Gateway.Resilience;
using Outrigger.Gateway.Tests.Fakes;

namespace Outrigger.Gateway.Tests.Acceptance;

/// <summary>
/// A real reference orchestrator (temp data dir, free port), the controllable orchestrator in front of it, and the gateway
/// module pointed at the controllable one — all over real sockets on 127.0.0.1.
/// </summary>
internal sealed class GatewayHarness : IAsyncDisposable
{
    private readonly string _dataDir;

    private GatewayHarness(string dataDir, OrchestratorServer orchestrator, FaultyOrchestrator faults, GatewayModule gateway)
    {
        _dataDir = dataDir;
        Orchestrator = orchestrator;
        Faults = faults;
        Gateway = gateway;
    }

    public OrchestratorServer Orchestrator { get; }

    public FaultyOrchestrator Faults { get; }

    public GatewayModule Gateway { get; }

    /// <summary>host:port of the gateway's KgcSidecar.</summary>
    public string Target => $"127.0.0.1:{Gateway.EndPoints[0].Port}";

    /// <summary>host:port of the real orchestrator (bypassing the gateway and the faults).</summary>
    public string OrchestratorTarget => $"127.0.0.1:{Orchestrator.EndPoints[0].Port}";

    /// <summary>Fast retries (10 ms base) and a short break, so fault tests run in real time quickly.</summary>
    public static GatewayOptions FastOptions(int batchTimeoutMs = 100, int breakMs = 1500) => new()
    {
        ListenAddress = "127.0.0.1:0",
        BatchTimeout = TimeSpan.FromMilliseconds(batchTimeoutMs),
        Resilience = new UpstreamPipelineOptions
        {
            Retry = new RetrySchedule { BaseDelay = TimeSpan.FromMilliseconds(10) },
            CircuitBreaker = new CircuitBreakerOptions { BreakDuration = TimeSpan.FromMilliseconds(breakMs) },
        },
    };

    public static async Task<GatewayHarness> StartAsync(GatewayOptions? options = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "gateway-it-" + Guid.NewGuid().ToString("N"));
        var orchestrator = await OrchestratorServer.StartAsync(new OrchestratorOptions { Listen = "127.0.0.1:0", DataDirectory = dataDir }, NullLoggerFactory.Instance, CancellationToken.None);
        var faults = await FaultyOrchestrator.StartAsync($"http://127.0.0.1:{orchestrator.EndPoints[0].Port}");
        options ??= FastOptions();
        options = options with { Orchestrator = options.Orchestrator with { Endpoint = faults.Endpoint } };
        var context = new ModuleContext(NullLoggerFactory.Instance, TimeProvider.System, new AdminRoutes(), dataDir);
        var gateway = (GatewayModule)new GatewayModuleDefinition().Create(options, context);
        await gateway.StartAsync(CancellationToken.None);
        return new GatewayHarness(dataDir, orchestrator, faults, gateway);
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
        await Gateway.DisposeAsync();
        await Faults.DisposeAsync();
        await Orchestrator.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }
}
