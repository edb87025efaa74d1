using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Outrigger.Core.Admin;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Routing;

namespace Outrigger.Proxy.Admin;

/// <summary>
/// The proxy's admin endpoints: <c>GET /clusters</c> (endpoints, health, weights, load), <c>GET /routes</c> and
/// <c>GET /proxy/config</c> (configuration generation, last reload and its error).
/// </summary>
internal static class ProxyAdmin
{
    public static void Map(AdminRoutes admin, Func<IReadOnlyCollection<ClusterState>> clusters, Func<RouteTable?> routes, Func<JsonObject> config)
    {
        admin.Map("/proxy/config", "Proxy configuration: generation, watched file, last applied and rejected reload, last error.", context => WriteAsync(context, config()));
        admin.Map("/clusters", "Proxy clusters: endpoints, health, weights, requests in flight.", context => WriteAsync(context, Clusters(clusters())));
        admin.Map("/routes", "Proxy routes in match order, with their conditions and clusters.", context => WriteAsync(context, Routes(routes())));
    }

    internal static JsonObject Clusters(IReadOnlyCollection<ClusterState> clusters)
    {
        var result = new JsonObject();
        foreach (var cluster in clusters)
        {
            var endpoints = new JsonArray();
            var available = cluster.Available;
            foreach (var endpoint in cluster.All)
            {
                endpoints.Add((JsonNode)Endpoint(endpoint, Array.IndexOf(available, endpoint) >= 0, cluster.Time));
            }

            result[cluster.Name] = new JsonObject
            {
                ["load_balancing"] = cluster.Options.LoadBalancing.Algorithm.ToString(),
                ["protocol"] = cluster.Options.Protocol == UpstreamProtocol.Http2 ? "http2" : "http1",
                ["discovery"] = cluster.Options.Dns is { } dns ? $"dns:{dns.Name}:{dns.Port}" : "static",
                ["health_check"] = cluster.Options.HealthCheck.Enabled ? cluster.Options.HealthCheck.Path : null,
                ["available"] = available.Length,
                ["circuit_breaker"] = Resilience.BreakerEvents.ToJson(cluster.Breaker),
                ["endpoints"] = endpoints,
            };
        }

        return result;
    }

    private static JsonObject Endpoint(EndpointState endpoint, bool available, TimeProvider time)
    {
        var metadata = new JsonObject();
        foreach (var (key, value) in endpoint.Endpoint.Metadata ?? new Dictionary<string, string>())
        {
            metadata[key] = value;
        }

        var ejectedFor = endpoint.EjectedUntil == 0 ? 0 : Math.Max(0, (endpoint.EjectedUntil - time.GetTimestamp()) / (double)time.TimestampFrequency);
        return new JsonObject
        {
            ["address"] = endpoint.Authority,
            ["weight"] = endpoint.Weight,
            ["available"] = available,
            ["health"] = endpoint.ActiveHealthy ? "healthy" : "unhealthy",
            ["last_probe_failure"] = endpoint.Probes.LastFailure,
            ["ejected"] = endpoint.EjectedUntil != 0,
            ["ejected_for_seconds"] = Math.Round(ejectedFor, 3),
            ["ejections"] = endpoint.Outliers.Ejections,
            ["outstanding_requests"] = endpoint.Outstanding,
            ["total_requests"] = endpoint.TotalRequests,
            ["latency_ewma_ms"] = Math.Round(endpoint.Latency.Seconds * 1000, 3),
            ["metadata"] = metadata,
        };
    }

    internal static JsonArray Routes(RouteTable? table)
    {
        var result = new JsonArray();
        foreach (var route in table?.Routes ?? [])
        {
            var match = route.Options.Match;
            var conditions = new JsonObject
            {
                ["hosts"] = Strings(match.Hosts),
                ["methods"] = Strings(match.Methods),
            };
            if (match.Path is not null)
            {
                conditions[match.PathKind switch { PathMatchKind.Exact => "path", PathMatchKind.Template => "path_template", _ => "path_prefix" }] = match.Path;
            }

            conditions["headers"] = Conditions(match.Headers);
            conditions["query"] = Conditions(match.Query);
            result.Add((JsonNode)new JsonObject
            {
                ["name"] = route.Name,
                ["cluster"] = route.Cluster.Name,
                ["match"] = conditions,
                ["timeout_ms"] = route.Timeout.TotalMilliseconds,
                ["strip_prefix"] = route.Options.Transforms.StripPrefix,
                ["add_prefix"] = route.Options.Transforms.AddPrefix,
                ["rewrite"] = route.Options.Transforms.Rewrite,
            });
        }

        return result;
    }

    private static JsonArray Strings(IEnumerable<string> values)
    {
        var array = new JsonArray();
        foreach (var value in values)
        {
            array.Add((JsonNode)JsonValue.Create(value));
        }

        return array;
    }

    private static JsonArray Conditions(IEnumerable<ValueMatchOptions> conditions)
    {
        var array = new JsonArray();
        foreach (var c in conditions)
        {
            array.Add((JsonNode)new JsonObject { ["name"] = c.Name, ["mode"] = c.Mode.ToString().ToLower(CultureInfo.InvariantCulture), ["value"] = c.Value });
        }

        return array;
    }

    private static Task WriteAsync(HttpContext context, JsonNode body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body.ToJsonString() + "\n", context.RequestAborted);
    }
}
