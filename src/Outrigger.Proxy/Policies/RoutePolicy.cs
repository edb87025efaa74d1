using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.RateLimiting;
using Outrigger.Proxy.Resilience;
using Outrigger.Proxy.Routing;

namespace Outrigger.Proxy.Policies;

/// <summary>
/// What a route does to a request besides forwarding it once, in order: rate limits (global, then the route's); then
/// forwarding through the resilience pipeline (retries, circuit breaker) instead of a single attempt. Routes with nothing
/// configured have no policy and take the plain path.
/// </summary>
internal sealed class RoutePolicy
{
    public RequestRateLimiter? GlobalRateLimit { get; init; }

    public RequestRateLimiter? RateLimit { get; init; }

    /// <summary>Retries and the cluster's breaker; null forwards once.</summary>
    public ResilientForwarder? Resilience { get; init; }

    public bool IsEmpty => GlobalRateLimit is null && RateLimit is null && Resilience is null;

    public async Task<int> InvokeAsync(HttpContext context, CompiledRoute route, string[] values, ProxyRequestHandler handler, long start)
    {
        if (GlobalRateLimit is { } global && !global.TryAcquire(context, out var globalWait))
        {
            return await global.RejectAsync(context, route.Name, globalWait).ConfigureAwait(false);
        }

        if (RateLimit is { } limit && !limit.TryAcquire(context, out var wait))
        {
            return await limit.RejectAsync(context, route.Name, wait).ConfigureAwait(false);
        }

        return Resilience is { } resilience
            ? await resilience.ForwardAsync(context, route, values).ConfigureAwait(false)
            : await handler.ForwardAsync(context, route, values, start).ConfigureAwait(false);
    }
}
