using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Outrigger.Proxy.AccessLog;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Metrics;
using Outrigger.Proxy.Reload;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Tracing;

namespace Outrigger.Proxy;

/// <summary>
/// The proxy's request pipeline: route, pick an endpoint, forward, record the outcome. The configuration it runs on
/// (<see cref="Runtime"/>) is replaced as a whole on reload; a request keeps the one it started with.
/// </summary>
internal sealed class ProxyRequestHandler(ProxyRuntime runtime, TimeProvider time, ILogger logger)
{
    /// <summary>Latency recorded for a failed exchange, so that a failing endpoint does not look fast to peak_ewma.</summary>
    private const double FailurePenaltySeconds = 1.0;

    private volatile ProxyRuntime _runtime = runtime;

    public ProxyRuntime Runtime
    {
        get => _runtime;
        set => _runtime = value;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var start = time.GetTimestamp();
        var runtime = _runtime;
        ProxyMetrics.RequestStarted();
        var span = ProxyTracing.StartRequest(context, runtime.Options.Tracing);
        var record = runtime.AccessLog is null ? null : RequestRecord.Attach(context);
        CompiledRoute? route = null;
        var status = StatusCodes.Status500InternalServerError;
        try
        {
            route = runtime.Routes.Match(context.Request, out var values);
            if (route is null)
            {
                status = StatusCodes.Status404NotFound;
                await NoRouteAsync(context, runtime.Routes).ConfigureAwait(false);
                ProxyMetrics.RecordRequest("", "", status, time.GetElapsedTime(start).TotalSeconds);
                return;
            }

            status = route.Policy is { } policy
                ? await policy.InvokeAsync(context, route, values, this, start).ConfigureAwait(false)
                : await ForwardAsync(context, route, values, start).ConfigureAwait(false);
            ProxyMetrics.RecordRequest(route.Name, route.Cluster.Name, status, time.GetElapsedTime(start).TotalSeconds);
        }
        finally
        {
            ProxyMetrics.RequestFinished();
            runtime.AccessLog?.Write(context, start, route, status, record);
            ProxyTracing.EndRequest(span, route, status);
        }
    }

    /// <summary>Forwards once to an endpoint the cluster picks (the path of routes without retries or breaker).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<int> ForwardAsync(HttpContext context, CompiledRoute route, string[] values, long start)
    {
        var cluster = route.Cluster;
        var endpoint = cluster.Acquire(context);
        if (endpoint is null)
        {
            var reason = cluster.All.Length == 0 ? "has no endpoints (discovery found none)" : $"has no healthy endpoints (0 of {cluster.All.Length} available)";
            await HttpForwarder.WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, $"no healthy upstream: cluster '{cluster.Name}' {reason}").ConfigureAwait(false);
            return StatusCodes.Status503ServiceUnavailable;
        }

        ForwardResult result;
        try
        {
            result = await _runtime.Forwarder.ForwardAsync(context, route, endpoint, values).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Forwarding to {Endpoint} failed unexpectedly", endpoint.Authority);
            await HttpForwarder.WriteErrorAsync(context, StatusCodes.Status502BadGateway, "proxy error").ConfigureAwait(false);
            result = new ForwardResult(StatusCodes.Status502BadGateway, ForwarderError.NoResponse);
        }
        finally
        {
            endpoint.EndRequest();
        }

        RecordAttempt(context, cluster, endpoint, result, time.GetElapsedTime(start).TotalSeconds);
        return result.StatusCode;
    }

    /// <summary>Feeds one finished upstream attempt to metrics, the access log (when <paramref name="context"/> has a record), the endpoint's latency average and passive health.</summary>
    internal static void RecordAttempt(HttpContext? context, ClusterState cluster, EndpointState endpoint, ForwardResult result, double seconds)
    {
        (context is null ? null : RequestRecord.Of(context))?.Attempt(endpoint.Authority, result.Error == ForwarderError.None ? result.StatusCode : 0, seconds);
        if (result.Error == ForwarderError.ClientAborted)
        {
            return;
        }

        ProxyMetrics.RecordUpstream(cluster.Name, result.StatusCode);
        if (result.Error == ForwarderError.Timeout)
        {
            ProxyMetrics.UpstreamTimeouts.Add(1, ProxyMetrics.ClusterTag(cluster.Name));
        }

        endpoint.Latency.Observe(result.IsGatewayFailure ? Math.Max(seconds, FailurePenaltySeconds) : seconds);
        cluster.ReportOutcome(endpoint, result);
    }

    private static Task NoRouteAsync(HttpContext context, RouteTable routes)
    {
        var request = context.Request;
        var hint = routes.Routes.Count == 0 ? " (no services are configured: add upstream.services or proxy.routes)" : "";
        return HttpForwarder.WriteErrorAsync(context, StatusCodes.Status404NotFound, $"no route matches {request.Method} {request.Host}{request.Path}{hint}");
    }
}
