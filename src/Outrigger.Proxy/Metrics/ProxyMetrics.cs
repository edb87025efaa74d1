using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Outrigger.Core.Telemetry;
using Outrigger.Proxy.Clusters;

namespace Outrigger.Proxy.Metrics;

/// <summary>
/// The proxy's instruments: spec 002's <c>proxy_*</c> names per route, cluster and status class, and per-cluster
/// upstream statistics in the spirit of Envoy's (<c>upstream_rq_*</c>, <c>upstream_cx_*</c>).
/// </summary>
internal static class ProxyMetrics
{
    private static readonly ConcurrentDictionary<ClusterState, bool> LiveClusters = new();
    private static long _active;

    public static readonly Meter Meter = OutriggerTelemetry.CreateMeter("Proxy");

    public static readonly Counter<long> Requests = Meter.CreateCounter<long>("proxy_requests_total", description: "Requests received by the proxy.");
    public static readonly Counter<long> Successful = Meter.CreateCounter<long>("proxy_requests_successful_total", description: "Requests answered with a status below 500.");
    public static readonly Counter<long> Failed = Meter.CreateCounter<long>("proxy_requests_failed_total", description: "Requests answered with 5xx, or abandoned by the client (status_class 499).");
    public static readonly Histogram<double> ResponseTime = Meter.CreateLatencyHistogram("proxy_response_time", "Time from receiving a request to finishing its response, in seconds.");
    public static readonly ObservableUpDownCounter<long> ActiveRequests = Meter.CreateObservableUpDownCounter("proxy_requests_active", () => Volatile.Read(ref _active), description: "Requests being processed.");

    public static readonly Counter<long> UpstreamRequests = Meter.CreateCounter<long>("upstream_rq_total", description: "Requests sent to a cluster's endpoints, by status class of the upstream's answer (or of the proxy's error).");
    public static readonly ObservableUpDownCounter<long> UpstreamActive = Meter.CreateObservableUpDownCounter("upstream_rq_active", ObserveOutstanding, description: "Requests in flight to a cluster.");
    public static readonly ObservableGauge<long> UpstreamEndpoints = Meter.CreateObservableGauge("upstream_endpoints", ObserveEndpoints, description: "A cluster's endpoints, by state (available: healthy and not ejected; total).");
    public static readonly Counter<long> UpstreamTimeouts = Meter.CreateCounter<long>("upstream_rq_timeout_total", description: "Requests that got no response headers in time (504).");
    public static readonly Counter<long> ConnectionsOpened = Meter.CreateCounter<long>("upstream_cx_total", description: "Connections opened to a cluster's endpoints.");
    public static readonly UpDownCounter<long> ConnectionsActive = Meter.CreateUpDownCounter<long>("upstream_cx_active", description: "Open connections to a cluster's endpoints.");
    public static readonly Counter<long> ConnectFailures = Meter.CreateCounter<long>("upstream_cx_connect_fail_total", description: "Failed connection attempts.");
    public static readonly Counter<long> HealthChecks = Meter.CreateCounter<long>("upstream_health_check_total", description: "Active health probes, by result.");
    public static readonly Counter<long> Ejections = Meter.CreateCounter<long>("upstream_outlier_ejections_total", description: "Endpoints ejected by outlier detection.");

    /// <summary>Counted in <c>proxy_requests_active</c> (read when metrics are collected, not per request).</summary>
    public static void RequestStarted() => Interlocked.Increment(ref _active);

    public static void RequestFinished() => Interlocked.Decrement(ref _active);

    /// <summary>Makes a cluster's live state visible to the observable instruments until <see cref="Untrack"/>.</summary>
    public static void Track(ClusterState cluster) => LiveClusters[cluster] = true;

    public static void Untrack(ClusterState cluster) => LiveClusters.TryRemove(cluster, out _);

    public static string StatusClass(int status) => status switch
    {
        < 200 => "1xx",
        < 300 => "2xx",
        < 400 => "3xx",
        499 => "499",
        < 500 => "4xx",
        _ => "5xx",
    };

    public static void RecordRequest(string route, string cluster, int status, double seconds)
    {
        var tags = new TagList { { "route", route }, { "cluster", cluster }, { "status_class", StatusClass(status) } };
        Requests.Add(1, tags);
        (status >= 500 || status == 499 ? Failed : Successful).Add(1, tags);
        ResponseTime.Record(seconds, tags);
    }

    public static void RecordUpstream(string cluster, int status)
    {
        UpstreamRequests.Add(1, new TagList { { "cluster", cluster }, { "status_class", StatusClass(status) } });
    }

    public static KeyValuePair<string, object?> ClusterTag(string cluster) => new("cluster", cluster);

    private static IEnumerable<Measurement<long>> ObserveOutstanding()
    {
        foreach (var cluster in LiveClusters.Keys)
        {
            long outstanding = 0;
            foreach (var endpoint in cluster.All)
            {
                outstanding += endpoint.Outstanding;
            }

            yield return new Measurement<long>(outstanding, ClusterTag(cluster.Name));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveEndpoints()
    {
        foreach (var cluster in LiveClusters.Keys)
        {
            yield return new Measurement<long>(cluster.Available.Length, ClusterTag(cluster.Name), new("state", "available"));
            yield return new Measurement<long>(cluster.All.Length, ClusterTag(cluster.Name), new("state", "total"));
        }
    }
}
