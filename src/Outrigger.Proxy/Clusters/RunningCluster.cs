using Microsoft.Extensions.Logging;
using Outrigger.Discovery;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Health;
using Outrigger.Proxy.Metrics;
using Outrigger.Proxy.Resilience;

namespace Outrigger.Proxy.Clusters;

/// <summary>A cluster with what keeps it current: its discovery watch and its active health checks.</summary>
internal sealed partial class RunningCluster
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _discovery;
    private readonly ActiveHealthChecker? _checker;
    private int _stopped;

    public RunningCluster(ClusterOptions options, IServiceDiscovery discovery, TimeProvider time, ILogger logger)
    {
        State = new ClusterState(options, time, logger);
        State.UpdateEndpoints(options.Endpoints);
        ProxyMetrics.Track(State);
        _discovery = WatchAsync(discovery, logger, _stop.Token);
        if (options.HealthCheck.Enabled)
        {
            _checker = new ActiveHealthChecker(State, options.HealthCheck, time, logger);
            _checker.Start();
        }
    }

    public ClusterState State { get; }

    /// <summary>
    /// Stops discovery and health checks and hides the cluster and its breaker from metrics (a replacement of the same
    /// name may already report); requests still using it go on. Idempotent.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        ProxyMetrics.Untrack(State);
        BreakerEvents.Release(State.Breaker);
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_checker is not null)
        {
            await _checker.DisposeAsync().ConfigureAwait(false);
        }

        await _discovery.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task WatchAsync(IServiceDiscovery discovery, ILogger logger, CancellationToken token)
    {
        try
        {
            await foreach (var endpoints in discovery.WatchAsync(token).ConfigureAwait(false))
            {
                State.UpdateEndpoints(endpoints);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception e)
        {
            Log.DiscoveryFailed(logger, e, State.Name, discovery.Description);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2, LogLevel.Error, "Discovery of cluster {Cluster} ({Discovery}) stopped")]
        public static partial void DiscoveryFailed(ILogger logger, Exception exception, string cluster, string discovery);
    }
}
