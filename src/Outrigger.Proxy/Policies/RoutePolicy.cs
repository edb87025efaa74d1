using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Resilience;
using Outrigger.Proxy.Routing;

namespace Outrigger.Proxy.Policies;

/// <summary>
/// What a route does to a request besides forwarding it once: the stages before forwarding, and forwarding through the
/// resilience pipeline (retries, circuit breaker) instead of a single attempt. Routes with nothing configured have no policy
/// and take the plain path.
/// </summary>
internal sealed class RoutePolicy
{
    /// <summary>Retries and the cluster's breaker; null forwards once.</summary>
    public ResilientForwarder? Resilience { get; init; }

    public bool IsEmpty => Resilience is null;

    public Task<int> InvokeAsync(HttpContext context, CompiledRoute route, string[] values, ProxyRequestHandler handler, long start) =>
        Resilience is { } resilience ? resilience.ForwardAsync(context, route, values) : handler.ForwardAsync(context, route, values, start);
}
