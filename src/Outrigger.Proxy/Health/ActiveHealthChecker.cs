using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Metrics;
using Outrigger.Proxy.Upstream;

namespace Outrigger.Proxy.Health;

/// <summary>
/// Active health checks for one cluster: every endpoint is probed with <c>GET path</c> every <c>interval</c> (plus up to
/// <c>jitter</c>), first at once. <c>unhealthy_threshold</c> failures in a row take it out of rotation,
/// <c>healthy_threshold</c> successes in a row bring it back. Endpoints start healthy.
/// </summary>
internal sealed partial class ActiveHealthChecker(ClusterState cluster, HealthCheckOptions options, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly Lock _lock = new();

    public void Start()
    {
        cluster.EndpointsAdded += StartLoops;
        StartLoops(cluster.All);
    }

    /// <summary>Probes one endpoint once and applies the result; returns whether the probe passed.</summary>
    public async Task<bool> ProbeAsync(EndpointState endpoint, CancellationToken cancellationToken)
    {
        var (passed, failure) = await SendProbeAsync(endpoint, cancellationToken).ConfigureAwait(false);
        ProxyMetrics.HealthChecks.Add(1, ProxyMetrics.ClusterTag(cluster.Name), new KeyValuePair<string, object?>("result", passed ? "success" : "failure"));
        Apply(endpoint, passed, failure);
        return passed;
    }

    public async ValueTask DisposeAsync()
    {
        cluster.EndpointsAdded -= StartLoops;
        await _stop.CancelAsync().ConfigureAwait(false);
        Task[] loops;
        lock (_lock)
        {
            loops = [.. _loops];
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
        _stop.Dispose();
    }

    private void StartLoops(IReadOnlyList<EndpointState> endpoints)
    {
        lock (_lock)
        {
            _loops.RemoveAll(t => t.IsCompleted);
            foreach (var endpoint in endpoints)
            {
                _loops.Add(Task.Run(() => LoopAsync(endpoint, _stop.Token)));
            }
        }
    }

    private async Task LoopAsync(EndpointState endpoint, CancellationToken token)
    {
        try
        {
            while (!token.IsCancellationRequested && Array.IndexOf(cluster.All, endpoint) >= 0)
            {
                await ProbeAsync(endpoint, token).ConfigureAwait(false);
                var jitter = options.Jitter > TimeSpan.Zero ? TimeSpan.FromTicks(Random.Shared.NextInt64(options.Jitter.Ticks)) : TimeSpan.Zero;
                await Task.Delay(options.Interval + jitter, time, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task<(bool Passed, string? Failure)> SendProbeAsync(EndpointState endpoint, CancellationToken token)
    {
        using var timeout = new CancellationTokenSource(options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
        try
        {
            using var response = await endpoint.ClientFor(upgrade: false).SendAsync(new UpstreamRequest(HttpMethods.Get, options.Path, endpoint.Authority), linked.Token).ConfigureAwait(false);
            var status = response.StatusCode;
            return status >= options.ExpectedStatusMin && status <= options.ExpectedStatusMax ? (true, null) : (false, $"status {status}");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
        {
            return (false, $"no answer within {options.Timeout.TotalMilliseconds} ms");
        }
        catch (UpstreamException e)
        {
            return (false, e.Message);
        }
    }

    private void Apply(EndpointState endpoint, bool passed, string? failure)
    {
        var probes = endpoint.Probes;
        probes.Successes = passed ? probes.Successes + 1 : 0;
        probes.Failures = passed ? 0 : probes.Failures + 1;
        probes.LastFailure = failure ?? probes.LastFailure;
        if (endpoint.ActiveHealthy && probes.Failures >= options.UnhealthyThreshold)
        {
            endpoint.ActiveHealthy = false;
            cluster.RefreshAvailability();
            Log.Unhealthy(logger, endpoint.Authority, cluster.Name, probes.Failures, failure ?? "");
        }
        else if (!endpoint.ActiveHealthy && probes.Successes >= options.HealthyThreshold)
        {
            endpoint.ActiveHealthy = true;
            cluster.RefreshAvailability();
            Log.Healthy(logger, endpoint.Authority, cluster.Name, probes.Successes);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Warning, "Endpoint {Endpoint} of cluster {Cluster} is unhealthy after {Failures} failed probes: {Reason}")]
        public static partial void Unhealthy(ILogger logger, string endpoint, string cluster, int failures, string reason);

        [LoggerMessage(301, LogLevel.Information, "Endpoint {Endpoint} of cluster {Cluster} is healthy again after {Successes} passing probes")]
        public static partial void Healthy(ILogger logger, string endpoint, string cluster, int successes);
    }
}
