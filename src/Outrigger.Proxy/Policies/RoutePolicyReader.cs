using Outrigger.Core.Configuration;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Cors;
using Outrigger.Proxy.RateLimiting;
using Outrigger.Proxy.Resilience;
using Outrigger.Proxy.Security;

namespace Outrigger.Proxy.Policies;

/// <summary>Reads the policy keys of one route: <c>retry</c>, <c>rate_limit</c>, <c>authentication</c>, <c>cors</c>.</summary>
internal static class RoutePolicyReader
{
    public static RoutePolicyOptions Read(ConfigReader route, ClusterOptions? cluster)
    {
        var retry = ResilienceReader.ReadRetry(route.Section("retry", "Retries of this route; unset keys come from its cluster's retry."), cluster?.Retry ?? RetryOptions.Default);
        var rateLimit = RateLimitReader.Read(route.Section("rate_limit", "Token bucket for this route only (after security.rate_limiting)."));
        var mode = route.Choice("authentication", "inherit", "Credentials this route needs: required, optional, none, or inherit (security.authentication.mode).", "inherit", "required", "optional", "none");
        var cors = route.Has("cors") ? CorsReader.Read(route.Section("cors", "CORS for this route, replacing security.cors (enabled: false turns it off here).")) : null;
        return new RoutePolicyOptions(retry, rateLimit, mode == "inherit" ? null : AuthenticationReader.ParseMode(mode), cors);
    }
}
