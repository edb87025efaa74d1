using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests;

/// <summary>Endpoints failing under real load: health removes them, no request hangs.</summary>
public sealed class ResilienceTests
{
    [Fact]
    public async Task Load_EndpointKilledMidLoad_RemovedWithinThresholdsAndNoRequestHangs()
    {
        await using var a = await TestUpstream.StartAsync("a");
        var b = await TestUpstream.StartAsync("b");
        await using var proxy = await ProxyHost.StartAsync($$"""
            upstream:
              services:
                api:
                  endpoints: [{{a.Endpoint()}}, {{b.Endpoint()}}]
                  health_check: { enabled: true, path: /health, interval_ms: 200, jitter_ms: 0, timeout_ms: 500, unhealthy_threshold: 2, healthy_threshold: 1 }
                  outlier_detection: { consecutive_gateway_failures: 3, base_ejection_time_ms: 60000 }
            """);
        using var client = proxy.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(5);
        var statuses = new System.Collections.Concurrent.ConcurrentBag<(long At, int Status)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.GetAsync("/bytes/1024");
                await response.Content.ReadAsByteArrayAsync();
                statuses.Add((clock.ElapsedMilliseconds, (int)response.StatusCode));
            }
        })).ToArray();
        await Task.Delay(500);
        var killedAt = clock.ElapsedMilliseconds;
        await b.DisposeAsync();
        await WaitForAvailable(proxy, 1, TimeSpan.FromSeconds(3));
        var removedAt = clock.ElapsedMilliseconds;
        await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(10));

        var all = statuses.ToArray();
        Assert.True(removedAt - killedAt < 1000, $"removed {removedAt - killedAt} ms after the kill");
        Assert.All(all.Where(s => s.At < killedAt), s => Assert.Equal(200, s.Status));
        Assert.All(all.Where(s => s.At > removedAt + 50), s => Assert.Equal(200, s.Status));
        Assert.All(all, s => Assert.Contains(s.Status, new[] { 200, 502 }));
        Assert.True(all.Count(s => s.Status == 502) <= 8, $"{all.Count(s => s.Status == 502)} requests failed");
        Assert.True(all.Length > 100);
    }

    [Fact]
    public async Task PeakEwma_OneSlowEndpoint_MostTrafficGoesToTheFastOne()
    {
        await using var fast = await TestUpstream.StartAsync("fast");
        await using var slow = await TestUpstream.StartAsync("slow");
        // Far slower than any stall of the fast one on a loaded machine; round robin would send it 100 of the 200.
        slow.Delay = TimeSpan.FromMilliseconds(150);
        await using var proxy = await ProxyHost.StartAsync($$"""
            load_balancing: { algorithm: peak_ewma }
            upstream:
              services:
                api: { endpoints: [{{fast.Endpoint()}}, {{slow.Endpoint()}}] }
            """);
        using var client = proxy.CreateClient();

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                (await client.GetAsync("/bytes/100")).Dispose();
            }
        }));
        await Task.WhenAll(workers);

        Assert.Equal(200, fast.Requests + slow.Requests);
        Assert.True(slow.Requests < 40, $"slow endpoint got {slow.Requests} of 200 requests");
    }

    private static async Task WaitForAvailable(ProxyHost proxy, int count, TimeSpan within)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var clusters = JsonNode.Parse(await proxy.AdminGetAsync("/clusters"))!;
            if ((int)clusters["api"]!["available"]! == count)
            {
                return;
            }

            Assert.True(deadline.Elapsed < within, $"cluster did not drop to {count} available endpoints within {within}");
            await Task.Delay(20);
        }
    }
}
