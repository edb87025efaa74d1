using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Coordination;
using Outrigger.Coordination.Embedded;
using Outrigger.Workflows.Engine;
using Outrigger.Workflows.Management;

namespace Outrigger.Workflows.Tests.Infrastructure;

/// <summary>
/// Several engines ("nodes") sharing one embedded store in one process: the same engine code a cluster runs on etcd,
/// with fast timings (2 s node leases, 50 ms ticks).
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("wf-cluster");
    private readonly List<WorkflowEngine> _engines = [];

    public TestCluster()
    {
        Store = CoordinationStore.OpenEmbedded(new EmbeddedStoreOptions { Directory = _directory.Path, LeaseCheckInterval = TimeSpan.FromMilliseconds(100) }, TimeProvider.System, NullLoggerFactory.Instance);
    }

    public ICoordinationStore Store { get; }

    public static EngineOptions Options(string node) => new()
    {
        NodeId = node,
        Address = node + ":7001",
        NodeTtl = TimeSpan.FromSeconds(2),
        TickInterval = TimeSpan.FromMilliseconds(50),
        ClaimStagger = TimeSpan.FromMilliseconds(100),
        AppTimeout = TimeSpan.FromSeconds(2),
        AppGrace = TimeSpan.FromSeconds(1),
        MaxCheckpointBytes = 64 * 1024,
    };

    public async Task<WorkflowEngine> StartNodeAsync(string node, Func<EngineOptions, EngineOptions>? configure = null)
    {
        var options = Options(node);
        var engine = new WorkflowEngine(Store, configure?.Invoke(options) ?? options, NullLoggerFactory.Instance);
        await engine.StartAsync(CancellationToken.None);
        _engines.Add(engine);
        return engine;
    }

    /// <summary>Stops a node gracefully (its lease is revoked, so its ownerships go at once).</summary>
    public async Task StopNodeAsync(WorkflowEngine engine)
    {
        _engines.Remove(engine);
        await engine.DisposeAsync();
    }

    public static WorkflowDirectory Directory(WorkflowEngine engine) => new(engine);

    public async ValueTask DisposeAsync()
    {
        foreach (var engine in _engines)
        {
            await engine.DisposeAsync();
        }

        await Store.DisposeAsync();
        _directory.Dispose();
    }
}
