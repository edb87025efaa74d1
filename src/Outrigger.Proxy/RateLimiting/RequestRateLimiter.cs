using System.Globalization;
using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Policies;

namespace Outrigger.Proxy.RateLimiting;

/// <summary>A rate limit on requests (the global one, or a route's): finds the request's key and takes a token for it.</summary>
internal sealed class RequestRateLimiter : IDisposable
{
    private readonly TokenBuckets _buckets;

    public RequestRateLimiter(string name, RateLimitOptions options, TimeProvider time)
    {
        Name = name;
        Options = options;
        _buckets = new TokenBuckets(options, time);
        RateLimitMetrics.Track(this);
    }

    /// <summary><c>global</c> or the route's name.</summary>
    public string Name { get; }

    public RateLimitOptions Options { get; }

    public int Keys => _buckets.Count;

    public bool TryAcquire(HttpContext context, out TimeSpan retryAfter) => _buckets.TryAcquire(Key(context), out retryAfter);

    /// <summary>Answers 429 with <c>Retry-After</c> (whole seconds, at least 1).</summary>
    public Task<int> RejectAsync(HttpContext context, string route, TimeSpan retryAfter)
    {
        RateLimitMetrics.Limited.Add(1, new("route", route), new("limiter", Name));
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        var message = string.Create(CultureInfo.InvariantCulture,
            $"rate limit exceeded: {(Name == "global" ? "the proxy" : $"route '{Name}'")} allows {Options.RequestsPerSecond:0.###} requests/s (burst {Options.BurstSize}) {Options.Scope}; retry after {seconds} s");
        return PolicyResponse.WriteAsync(context, StatusCodes.Status429TooManyRequests, message, ("Retry-After", seconds.ToString(CultureInfo.InvariantCulture)));
    }

    public void Dispose()
    {
        RateLimitMetrics.Untrack(this);
        _buckets.Dispose();
    }

    private string Key(HttpContext context)
    {
        switch (Options.KeySource)
        {
            case RateLimitKeySource.Global:
                return "";
            case RateLimitKeySource.Header:
                return context.Request.Headers.TryGetValue(Options.KeyName, out var value) ? value.ToString() : "";
            case RateLimitKeySource.JwtClaim when context.User.FindFirst(Options.KeyName)?.Value is { } claim:
                return "claim:" + claim;
            default:
                return context.Connection.RemoteIpAddress?.ToString() ?? "";
        }
    }
}
