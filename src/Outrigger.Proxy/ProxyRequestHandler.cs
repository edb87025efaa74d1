using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Metrics;
using Outrigger.Proxy.Routing;

namespace Outrigger.Proxy;

/// <summary>The proxy's request pipeline: route, pick an endpoint, forward, record the outcome.</summary>
internal sealed class ProxyRequestHandler(RouteTable routes, HttpForwarder forwarder, TimeProvider time, ILogger logger)
{
    /// <summary>Latency recorded for a failed exchange, so that a failing endpoint does not look fast to peak_ewma.</summary>
    private const double FailurePenaltySeconds = 1.0;

    public async Task InvokeAsync(HttpContext context)
    {
        var start = time.GetTimestamp();
        ProxyMetrics.RequestStarted();
        try
        {
            var route = routes.Match(context.Request, out var values);
            if (route is null)
            {
                await NoRouteAsync(context).ConfigureAwait(false);
                ProxyMetrics.RecordRequest("", "", StatusCodes.Status404NotFound, time.GetElapsedTime(start).TotalSeconds);
                return;
            }

            var status = route.Policy is { } policy
                ? await policy.InvokeAsync(context, route, values, this, start).ConfigureAwait(false)
                : await ForwardAsync(context, route, values, start).ConfigureAwait(false);
            ProxyMetrics.RecordRequest(route.Name, route.Cluster.Name, status, time.GetElapsedTime(start).TotalSeconds);
        }
        finally
        {
            ProxyMetrics.RequestFinished();
        }
    }

    /// <summary>Forwards once to an endpoint the cluster picks (the path of routes without retries or breaker).</summary>
    internal async Task<int> ForwardAsync(HttpContext context, CompiledRoute route, string[] values, long start)
    {
        var cluster = route.Cluster;
        var endpoint = cluster.Pick(context);
        if (endpoint is null)
        {
            var reason = cluster.All.Length == 0 ? "has no endpoints (discovery found none)" : $"has no healthy endpoints (0 of {cluster.All.Length} available)";
            await HttpForwarder.WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, $"no healthy upstream: cluster '{cluster.Name}' {reason}").ConfigureAwait(false);
            return StatusCodes.Status503ServiceUnavailable;
        }

        endpoint.BeginRequest();
        ForwardResult result;
        try
        {
            result = await forwarder.ForwardAsync(context, route, endpoint, values).ConfigureAwait(false);
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

        RecordAttempt(cluster, endpoint, result, time.GetElapsedTime(start).TotalSeconds);
        return result.StatusCode;
    }

    /// <summary>Feeds one finished upstream attempt to metrics, the endpoint's latency average and passive health.</summary>
    internal static void RecordAttempt(ClusterState cluster, EndpointState endpoint, ForwardResult result, double seconds)
    {
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

    private Task NoRouteAsync(HttpContext context)
    {
        var request = context.Request;
        var hint = routes.Routes.Count == 0 ? " (no services are configured: add upstream.services or proxy.routes)" : "";
        return HttpForwarder.WriteErrorAsync(context, StatusCodes.Status404NotFound, $"no route matches {request.Method} {request.Host}{request.Path}{hint}");
    }
}
