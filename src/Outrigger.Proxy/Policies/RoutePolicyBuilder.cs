using Microsoft.Extensions.Logging;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Resilience;
using Outrigger.Proxy.Routing;

namespace Outrigger.Proxy.Policies;

/// <summary>Builds each route's <see cref="RoutePolicy"/> from its options and its cluster's, and attaches it to the route.</summary>
internal static class RoutePolicyBuilder
{
    public static void Attach(RouteTable routes, HttpForwarder forwarder, TimeProvider time, ILogger logger)
    {
        foreach (var route in routes.Routes)
        {
            var cluster = route.Cluster;
            var retry = route.Options.Retry ?? cluster.Options.Retry;
            var resilience = retry.Retries || cluster.Breaker is not null
                ? new ResilientForwarder(retry, cluster.Breaker, cluster.RetryBudget, forwarder, time, logger)
                : null;
            var policy = new RoutePolicy { Resilience = resilience };
            route.Policy = policy.IsEmpty ? null : policy;
        }
    }
}
