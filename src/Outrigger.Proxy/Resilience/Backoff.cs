using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace Outrigger.Proxy.Resilience;

/// <summary>Pure delay maths for retries: full-jitter exponential backoff and <c>Retry-After</c>.</summary>
internal static class Backoff
{
    /// <summary>
    /// The delay before retry <paramref name="retry"/> (0 = the first retry): a uniformly random time in
    /// [0, min(<paramref name="cap"/>, <paramref name="baseDelay"/> × 2^retry)] ("full jitter"); <paramref name="random"/> is in [0, 1).
    /// </summary>
    public static TimeSpan FullJitter(int retry, TimeSpan baseDelay, TimeSpan cap, double random)
    {
        var ceiling = Math.Min(cap.Ticks, baseDelay.Ticks * Math.Pow(2, Math.Min(retry, 30)));
        return TimeSpan.FromTicks((long)(ceiling * random));
    }

    /// <summary>
    /// Parses a <c>Retry-After</c> value: delay-seconds or an HTTP date (RFC 9110 §10.2.3). Null when absent or malformed;
    /// a date in the past is zero.
    /// </summary>
    public static TimeSpan? ParseRetryAfter(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(Math.Min(seconds, 86_400));
        }

        return HeaderUtilities.TryParseDate(value, out var date) ? (date > now ? date - now : TimeSpan.Zero) : null;
    }
}
