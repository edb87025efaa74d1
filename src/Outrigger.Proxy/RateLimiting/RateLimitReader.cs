using Outrigger.Core.Configuration;

namespace Outrigger.Proxy.RateLimiting;

/// <summary>Reads a <c>rate_limiting</c> (global) or <c>rate_limit</c> (route) section.</summary>
internal static class RateLimitReader
{
    public static RateLimitOptions Read(ConfigReader section)
    {
        var defaults = RateLimitOptions.Disabled;
        var enabled = section.Bool("enabled", section.IsPresent, "Enable this token bucket (a present section enables it).");
        var rps = section.Double("requests_per_second", defaults.RequestsPerSecond, "Tokens added per second to each key's bucket.", 0.001, 1_000_000);
        var burst = section.Int("burst_size", defaults.BurstSize, "Bucket size: requests a key may make at once after being idle.", 1, 10_000_000);
        var source = section.Choice("key_extractor", "ip", "What a bucket belongs to.", "ip", "header", "jwt_claim", "global") switch
        {
            "header" => RateLimitKeySource.Header,
            "jwt_claim" => RateLimitKeySource.JwtClaim,
            "global" => RateLimitKeySource.Global,
            _ => RateLimitKeySource.Ip,
        };
        var header = section.String("header", "", "Header whose value is the key (key_extractor header); requests without it share one bucket.");
        var claim = section.String("claim", "sub", "JWT claim whose value is the key (key_extractor jwt_claim); unauthenticated requests are keyed by client ip.");
        var maxKeys = section.Int("max_keys", defaults.MaxKeys, "Most buckets kept in memory; beyond, refilled buckets are dropped and new keys share an overflow bucket.", 1);
        if (source == RateLimitKeySource.Header && header.Length == 0 && enabled)
        {
            section.Error("header", "key_extractor header needs the header name");
        }

        return new RateLimitOptions(enabled, rps, burst, source, source == RateLimitKeySource.Header ? header : claim, maxKeys);
    }
}
