using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Authorization;
using Outrigger.Proxy.Cors;
using Outrigger.Proxy.RateLimiting;
using Outrigger.Proxy.Resilience;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Security;

namespace Outrigger.Proxy.Policies;

/// <summary>
/// What a route does to a request besides forwarding it once, in order: CORS (preflights answered, headers added),
/// authentication (401), authorization (403), rate
/// limits (global, then the route's; 429); then forwarding through the resilience pipeline (retries, circuit breaker)
/// instead of a single attempt. Routes with nothing configured have no policy and take the plain path.
/// </summary>
internal sealed class RoutePolicy
{
    public CorsPolicy? Cors { get; init; }

    public Authenticator? Authenticator { get; init; }

    public AuthenticationMode AuthenticationMode { get; init; }

    public AuthorizationPolicy? Authorization { get; init; }

    public RequestRateLimiter? GlobalRateLimit { get; init; }

    public RequestRateLimiter? RateLimit { get; init; }

    /// <summary>Retries and the cluster's breaker; null forwards once.</summary>
    public ResilientForwarder? Resilience { get; init; }

    public bool IsEmpty => Cors is null && Authenticator is null && Authorization is null && GlobalRateLimit is null && RateLimit is null && Resilience is null;

    public async Task<int> InvokeAsync(HttpContext context, CompiledRoute route, string[] values, ProxyRequestHandler handler, long start)
    {
        if (Cors is { } cors && await cors.ApplyAsync(context).ConfigureAwait(false) is { } preflight)
        {
            return preflight;
        }

        if (Authenticator is { } authenticator && await authenticator.AuthenticateAsync(context, AuthenticationMode).ConfigureAwait(false) is { } unauthenticated)
        {
            return unauthenticated;
        }

        if (Authorization is { } authorization && await authorization.AuthorizeAsync(context, route.Name).ConfigureAwait(false) is { } forbidden)
        {
            return forbidden;
        }

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
