using Microsoft.Extensions.Logging;
using Outrigger.Proxy.Authorization;
using Outrigger.Proxy.Cors;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.RateLimiting;
using Outrigger.Proxy.Resilience;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Security;

namespace Outrigger.Proxy.Policies;

/// <summary>
/// Builds each route's <see cref="RoutePolicy"/> from its options, its cluster's and the global <c>security</c> section, and
/// attaches it to the route; owns what the policies share (rate limiters, the authenticator with its key and token caches)
/// until disposed.
/// </summary>
internal sealed class RoutePolicies : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    /// <param name="clientCertificates">Whether the listener verifies client certificates (their identity is then exposed on every route).</param>
    public RoutePolicies(RouteTable routes, SecurityOptions security, bool clientCertificates, HttpForwarder forwarder, TimeProvider time, ILogger logger)
    {
        var global = security.RateLimit.Enabled ? Own(new RequestRateLimiter("global", security.RateLimit, time)) : null;
        var authentication = security.Authentication;
        var authenticator = authentication.Enabled || security.Authorization.Enabled || clientCertificates ? Own(new Authenticator(authentication, time, logger)) : null;
        var authorization = security.Authorization.Enabled ? new AuthorizationPolicy(security.Authorization) : null;
        var cors = security.Cors.Enabled ? new CorsPolicy(security.Cors) : null;
        foreach (var route in routes.Routes)
        {
            var cluster = route.Cluster;
            var options = route.Options.Policy;
            var retry = options?.Retry ?? cluster.Options.Retry;
            var mode = options?.Authentication ?? authentication.Mode;
            var policy = new RoutePolicy
            {
                Cors = options?.Cors is { } routeCors ? (routeCors.Enabled ? new CorsPolicy(routeCors) : null) : cors,
                Authenticator = authenticator,
                AuthenticationMode = mode,
                Authorization = authorization,
                GlobalRateLimit = global,
                RateLimit = options?.RateLimit is { Enabled: true } limit ? Own(new RequestRateLimiter(route.Name, limit, time)) : null,
                Resilience = retry.Retries || cluster.Breaker is not null
                    ? new ResilientForwarder(retry, cluster.Breaker, cluster.RetryBudget, forwarder, time, logger)
                    : null,
            };
            route.Policy = policy.IsEmpty ? null : policy;
        }
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _owned.Clear();
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
