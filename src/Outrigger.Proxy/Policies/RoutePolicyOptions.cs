using Outrigger.Proxy.RateLimiting;
using Outrigger.Proxy.Resilience;

namespace Outrigger.Proxy.Policies;

/// <summary>A route's own policy settings (read from its entry in <c>proxy.routes</c>).</summary>
internal sealed record RoutePolicyOptions(RetryOptions Retry, RateLimitOptions RateLimit);
