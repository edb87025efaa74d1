using System.Diagnostics;
using System.Net;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.RateLimiting;

/// <summary>Rate limits through real HTTP.</summary>
public sealed class RateLimitProxyTests
{
    [Fact]
    public async Task RouteLimit_UnderSustainedLoad_NeverAdmitsMoreThanTheConfiguredRate()
    {
        await using var upstream = await FaultUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                rl: { endpoints: [{{upstream.Endpoint()}}] }
              routes:
                - name: limited
                  cluster: rl
                  rate_limit: { requests_per_second: 100, burst_size: 10, key_extractor: global }
            """);
        using var client = proxy.CreateClient();
        var ok = 0;
        var limited = 0;
        var clock = Stopwatch.StartNew();
        var duration = TimeSpan.FromSeconds(3);
        var workers = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                using var response = await client.GetAsync("/x");
                Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref ok : ref limited);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed.TotalSeconds;

        var expected = 10 + (100 * elapsed);
        Assert.True(limited > ok, $"the load ({ok + limited} requests) did not exceed the limit");
        // Never more than the configured rate (the property the limiter owns). Fewer is possible only when the
        // client itself stalls (a loaded CI machine starves it for whole seconds, and a full bucket stops earning);
        // bench/proxy2 measures the admitted rate on a quiet machine.
        Assert.InRange(ok, expected * 0.6, expected * 1.05);
        Assert.Equal(ok, upstream.Requests);
    }

    [Fact]
    public async Task HeaderKey_SeparateBucketsPerValue_429CarriesRetryAfter()
    {
        await using var upstream = await FaultUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            upstream:
              services:
                rl-header: { endpoints: [{{upstream.Endpoint()}}] }
            security:
              rate_limiting: { requests_per_second: 0.5, burst_size: 2, key_extractor: header, header: x-api-key }
            """);
        using var client = proxy.CreateClient();
        Assert.Equal(new[] { 200, 200, 429 }, await Statuses(client, "alice", 3));
        Assert.Equal(new[] { 200, 200, 429 }, await Statuses(client, "bob", 3));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("x-api-key", "alice");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.InRange(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 2);
        Assert.Contains("allows 0.5 requests/s (burst 2) per x-api-key header", await response.Content.ReadAsStringAsync());
        Assert.Equal(4, upstream.Requests);
    }

    [Fact]
    public void Config_HeaderKeyWithoutHeaderName_IsAnErrorNamingTheKey()
    {
        TestConfig.Read("""
            security:
              rate_limiting: { key_extractor: header }
            """, out var errors);
        Assert.Contains(errors, e => e.Path == "security.rate_limiting.header" && e.Message.Contains("needs the header name"));
    }

    private static async Task<int[]> Statuses(HttpClient client, string key, int count)
    {
        var statuses = new int[count];
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
            request.Headers.Add("x-api-key", key);
            using var response = await client.SendAsync(request);
            statuses[i] = (int)response.StatusCode;
        }

        return statuses;
    }
}
