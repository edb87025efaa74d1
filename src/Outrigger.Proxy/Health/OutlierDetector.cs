using Microsoft.Extensions.Logging;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Metrics;

namespace Outrigger.Proxy.Health;

/// <summary>
/// Passive health (Envoy's outlier detection): an endpoint that answers <c>consecutive_5xx</c> 5xx in a row, or fails
/// <c>consecutive_gateway_failures</c> times in a row (connect errors, resets, timeouts, 502/503/504), leaves the rotation
/// for <c>base_ejection_time × n</c> (n = how often it was ejected recently, capped at <c>max_ejection_time</c>), unless
/// that would eject more than <c>max_ejection_percent</c> of the cluster.
/// </summary>
internal sealed partial class OutlierDetector(ClusterState cluster, OutlierDetectionOptions options, TimeProvider time, ILogger logger) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<EndpointState, ITimer> _timers = [];
    private bool _disposed;

    public void Report(EndpointState endpoint, ForwardResult result)
    {
        if (!options.Enabled)
        {
            return;
        }

        var is5xx = result.StatusCode >= 500;
        var gateway = result.IsGatewayFailure;
        var counters = endpoint.Outliers;
        if (!is5xx && !gateway && counters.Consecutive5xx == 0 && counters.ConsecutiveGatewayFailures == 0)
        {
            return;
        }

        lock (_lock)
        {
            counters.Consecutive5xx = is5xx ? counters.Consecutive5xx + 1 : 0;
            counters.ConsecutiveGatewayFailures = gateway ? counters.ConsecutiveGatewayFailures + 1 : 0;
            if (endpoint.EjectedUntil == 0 && !_disposed
                && (counters.Consecutive5xx >= options.Consecutive5xx || counters.ConsecutiveGatewayFailures >= options.ConsecutiveGatewayFailures))
            {
                TryEjectLocked(endpoint);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var timer in _timers.Values)
            {
                timer.Dispose();
            }

            _timers.Clear();
        }
    }

    private void TryEjectLocked(EndpointState endpoint)
    {
        var all = cluster.All;
        var ejected = 0;
        foreach (var e in all)
        {
            ejected += e.EjectedUntil != 0 ? 1 : 0;
        }

        var allowed = all.Length >= 2 && (ejected == 0 || (ejected + 1) * 100 <= options.MaxEjectionPercent * all.Length);
        if (!allowed)
        {
            Log.EjectionSkipped(logger, endpoint.Authority, cluster.Name, ejected, all.Length);
            return;
        }

        var counters = endpoint.Outliers;
        var now = time.GetTimestamp();
        if (counters.LastEjectionEnded != 0 && time.GetElapsedTime(counters.LastEjectionEnded, now) > options.MaxEjectionTime)
        {
            counters.Ejections = 0;
        }

        counters.Ejections++;
        var duration = TimeSpan.FromTicks(Math.Min(options.BaseEjectionTime.Ticks * counters.Ejections, options.MaxEjectionTime.Ticks));
        endpoint.EjectedUntil = now + (long)(duration.TotalSeconds * time.TimestampFrequency);
        counters.Consecutive5xx = 0;
        counters.ConsecutiveGatewayFailures = 0;
        _timers[endpoint] = time.CreateTimer(static s => ((State)s!).Detector.Readmit(((State)s).Endpoint), new State(this, endpoint), duration, Timeout.InfiniteTimeSpan);
        cluster.RefreshAvailability();
        ProxyMetrics.Ejections.Add(1, ProxyMetrics.ClusterTag(cluster.Name));
        Log.Ejected(logger, endpoint.Authority, cluster.Name, duration.TotalSeconds, counters.Ejections);
    }

    private void Readmit(EndpointState endpoint)
    {
        lock (_lock)
        {
            if (_timers.Remove(endpoint, out var timer))
            {
                timer.Dispose();
            }

            endpoint.EjectedUntil = 0;
            endpoint.Outliers.LastEjectionEnded = time.GetTimestamp();
            cluster.RefreshAvailability();
        }

        Log.Readmitted(logger, endpoint.Authority, cluster.Name);
    }

    private sealed record State(OutlierDetector Detector, EndpointState Endpoint);

    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Warning, "Endpoint {Endpoint} of cluster {Cluster} ejected for {Seconds} s (ejection #{Count}) after consecutive failures")]
        public static partial void Ejected(ILogger logger, string endpoint, string cluster, double seconds, int count);

        [LoggerMessage(201, LogLevel.Information, "Endpoint {Endpoint} of cluster {Cluster} is back in rotation after its ejection")]
        public static partial void Readmitted(ILogger logger, string endpoint, string cluster);

        [LoggerMessage(202, LogLevel.Debug, "Endpoint {Endpoint} of cluster {Cluster} keeps failing but is not ejected ({Ejected} of {Total} already ejected; max_ejection_percent)")]
        public static partial void EjectionSkipped(ILogger logger, string endpoint, string cluster, int ejected, int total);
    }
}
