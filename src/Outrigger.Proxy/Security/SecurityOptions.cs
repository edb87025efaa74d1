using Outrigger.Proxy.RateLimiting;

namespace Outrigger.Proxy.Security;

/// <summary>Spec 002's <c>security</c> section: what applies to every route.</summary>
internal sealed record SecurityOptions(RateLimitOptions RateLimit)
{
    public static SecurityOptions None { get; } = new(RateLimitOptions.Disabled);
}
