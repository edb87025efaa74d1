using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Configuration;

namespace Outrigger.Proxy.Routing;

/// <summary>
/// The routes in the order they are tried: the configured ones, then one implicit route per spec-style service
/// (Host equal to the service name), then a catch-all when the only cluster is such a service.
/// </summary>
internal sealed class RouteTable
{
    private readonly CompiledRoute[] _routes;

    public RouteTable(IReadOnlyList<RouteOptions> routes, IReadOnlyDictionary<string, ClusterState> clusters)
    {
        var compiled = new List<CompiledRoute>();
        foreach (var route in routes)
        {
            compiled.Add(new CompiledRoute(route, clusters[route.Cluster]));
        }

        foreach (var cluster in clusters.Values)
        {
            if (cluster.Options.ImplicitRoute)
            {
                compiled.Add(new CompiledRoute(Implicit($"service:{cluster.Name}", cluster.Name, [cluster.Name]), cluster));
            }
        }

        if (clusters.Count == 1 && clusters.Values.First() is { Options.ImplicitRoute: true } only)
        {
            compiled.Add(new CompiledRoute(Implicit($"default:{only.Name}", only.Name, []), only));
        }

        _routes = [.. compiled];
    }

    public IReadOnlyList<CompiledRoute> Routes => _routes;

    public CompiledRoute? Match(HttpRequest request, out string[] values) => Match(new AspNetRouteRequest(request), out values);

    public CompiledRoute? Match<T>(T request, out string[] values)
        where T : IRouteRequest
    {
        foreach (var route in _routes)
        {
            if (route.Matches(request, out values))
            {
                return route;
            }
        }

        values = [];
        return null;
    }

    private static RouteOptions Implicit(string name, string cluster, IReadOnlyList<string> hosts) =>
        new(name, new RouteMatchOptions(hosts, null, PathMatchKind.Prefix, [], [], []), cluster, RouteTransformOptions.None, null);
}
