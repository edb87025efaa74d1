using Outrigger.Core.Configuration;
using Outrigger.Proxy.RateLimiting;

namespace Outrigger.Proxy.Security;

/// <summary>Reads spec 002's top-level <c>security</c> section.</summary>
internal static class SecurityReader
{
    public static SecurityOptions Read(ConfigReader security) =>
        new(RateLimitReader.Read(security.Section("rate_limiting", "Token bucket applied to every request before its route's own rate_limit.")));
}
