namespace Outrigger.Proxy.RateLimiting;

/// <summary>Where a rate limit's key comes from: one bucket per client IP, per header value, per JWT claim, or one for all.</summary>
internal enum RateLimitKeySource
{
    Ip,
    Header,
    JwtClaim,
    Global,
}

/// <summary>
/// A token bucket (spec 002 <c>security.rate_limiting</c>, or a route's <c>rate_limit</c>): each key gets
/// <see cref="BurstSize"/> tokens, refilled at <see cref="RequestsPerSecond"/>; a request takes one or is answered 429 with
/// <c>Retry-After</c>. At most <see cref="MaxKeys"/> buckets are kept; buckets that have refilled are forgotten first (a full
/// bucket is the same as a new one), and when all are busy, new keys share one overflow bucket, so memory stays bounded
/// under a flood of distinct keys.
/// </summary>
internal sealed record RateLimitOptions(
    bool Enabled,
    double RequestsPerSecond,
    int BurstSize,
    RateLimitKeySource KeySource,
    string KeyName,
    int MaxKeys)
{
    public static RateLimitOptions Disabled { get; } = new(false, 100, 200, RateLimitKeySource.Ip, "", 50_000);

    /// <summary>How the key is described in messages: "per client ip", "per x-api-key header" …</summary>
    public string Scope => KeySource switch
    {
        RateLimitKeySource.Header => $"per {KeyName} header",
        RateLimitKeySource.JwtClaim => $"per JWT claim {KeyName}",
        RateLimitKeySource.Global => "for all clients together",
        _ => "per client ip",
    };
}
