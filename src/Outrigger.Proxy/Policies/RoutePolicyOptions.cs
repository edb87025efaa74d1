using Outrigger.Proxy.Cors;
using Outrigger.Proxy.RateLimiting;
using Outrigger.Proxy.Resilience;
using Outrigger.Proxy.Security;

namespace Outrigger.Proxy.Policies;

/// <summary>A route's own policy settings (read from its entry in <c>proxy.routes</c>); a null mode takes the global one.</summary>
internal sealed record RoutePolicyOptions(RetryOptions Retry, RateLimitOptions RateLimit, AuthenticationMode? Authentication, CorsOptions? Cors);
