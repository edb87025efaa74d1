using Outrigger.Core.Configuration;
using Outrigger.Proxy.Authorization;
using Outrigger.Proxy.Cors;
using Outrigger.Proxy.RateLimiting;

namespace Outrigger.Proxy.Security;

/// <summary>Reads spec 002's top-level <c>security</c> section.</summary>
internal static class SecurityReader
{
    public static SecurityOptions Read(ConfigReader security) => new(
        RateLimitReader.Read(security.Section("rate_limiting", "Token bucket applied to every request before its route's own rate_limit.")),
        AuthenticationReader.Read(security.Section("authentication", "Who is calling: JWT, OAuth2 introspection, mTLS client certificates.")),
        AuthorizationReader.Read(security.Section("authorization", "Built-in policy engine: ordered allow/deny rules, default deny.")),
        CorsReader.Read(security.Section("cors", "CORS for every route (a route's own cors replaces it).")));
}
