using Outrigger.Core.Configuration;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.RateLimiting;
using Outrigger.Proxy.Resilience;

namespace Outrigger.Proxy.Policies;

/// <summary>Reads the policy keys of one route: <c>retry</c>, <c>rate_limit</c>.</summary>
internal static class RoutePolicyReader
{
    public static RoutePolicyOptions Read(ConfigReader route, ClusterOptions? cluster) => new(
        ResilienceReader.ReadRetry(route.Section("retry", "Retries of this route; unset keys come from its cluster's retry."), cluster?.Retry ?? RetryOptions.Default),
        RateLimitReader.Read(route.Section("rate_limit", "Token bucket for this route only (after security.rate_limiting).")));
}
