using System.Diagnostics;
using System.Net;
using System.Text;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Resilience;

/// <summary>Retries through real HTTP against fault-injecting upstreams.</summary>
public sealed class RetryProxyTests
{
    [Theory]
    [InlineData(Fault.Error)]
    [InlineData(Fault.Reset)]
    public async Task Retry_FailingEndpoint_RetriedOnTheOtherEndpoint(Fault fault)
    {
        using var metrics = new MetricsCapture();
        await using var bad = await FaultUpstream.StartAsync("bad", fault);
        await using var good = await FaultUpstream.StartAsync("good");
        var cluster = $"rt-other-{fault}";
        await using var proxy = await ProxyHost.StartAsync(Config(cluster, [bad, good], "max_attempts: 2"));
        using var client = proxy.CreateClient();

        for (var i = 0; i < 6; i++)
        {
            using var response = await client.GetAsync("/x");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("good", response.Headers.GetValues("x-upstream").Single());
        }

        Assert.Equal(6, good.Requests);
        Assert.InRange(bad.Requests, 1, 6);
        Assert.Equal(bad.Requests, metrics.Get("upstream_rq_retry_total", cluster));
        Assert.Equal(bad.Requests, metrics.Get("upstream_rq_retry_success_total", cluster));
    }

    [Fact]
    public async Task Retry_ConnectionRefused_RetriedEvenForPost()
    {
        await using var good = await FaultUpstream.StartAsync("good");
        var dead = FaultUpstream.ClosedPort();
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                rt-connect:
                  endpoints: [{ address: 127.0.0.1, port: {{dead}} }, {{good.Endpoint()}}]
                  outlier_detection: { enabled: false }
                  retry: { max_attempts: 2 }
              routes: [{ name: r, cluster: rt-connect }]
            """);
        using var client = proxy.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.PostAsync("/x", new StringContent($"body {i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"body {i}", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(["body 0", "body 1", "body 2", "body 3"], good.Bodies);
    }

    [Fact]
    public async Task Retry_NonIdempotentPostAfterUpstreamAnswered_NotRetried_ButPutIsWithItsBodyReplayed()
    {
        await using var flaky = await FaultUpstream.StartAsync("flaky");
        await using var proxy = await ProxyHost.StartAsync(Config("rt-methods", [flaky], "max_attempts: 3, base_delay_ms: 1, max_delay_ms: 2"));
        using var client = proxy.CreateClient();

        flaky.Script.Enqueue(Fault.Error);
        using (var post = await client.PostAsync("/x", new StringContent("once")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, post.StatusCode);
        }

        Assert.Equal(1, flaky.Requests);
        flaky.Script.Enqueue(Fault.Error);
        flaky.Script.Enqueue(Fault.Reset);
        using (var put = await client.PutAsync("/x", new StringContent("replayed body")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            Assert.Equal("replayed body", await put.Content.ReadAsStringAsync());
        }

        Assert.Equal(4, flaky.Requests);
        Assert.Equal(["once", "replayed body", "replayed body", "replayed body"], flaky.Bodies);
    }

    [Fact]
    public async Task Retry_StreamedOrOversizedBody_NotRetried()
    {
        await using var flaky = await FaultUpstream.StartAsync("flaky", Fault.Error);
        await using var proxy = await ProxyHost.StartAsync(Config("rt-body", [flaky], "max_attempts: 3, max_buffered_body_bytes: 16"));
        using var client = proxy.CreateClient();

        using (var oversized = await client.PutAsync("/x", new StringContent(new string('x', 17))))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, oversized.StatusCode);
        }

        var chunked = new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes("chunked")));
        using (var request = new HttpRequestMessage(HttpMethod.Put, "/x") { Content = chunked })
        {
            request.Headers.TransferEncodingChunked = true;
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        using (var small = await client.PutAsync("/x", new StringContent("small")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, small.StatusCode);
        }

        Assert.Equal(2 + 3, flaky.Requests);
    }

    [Fact]
    public async Task Retry_RetryAfter_WaitedForOnTheInjectedClock()
    {
        var time = new ManualTimeProvider();
        await using var flaky = await FaultUpstream.StartAsync("flaky");
        flaky.RetryAfter = "2";
        flaky.Script.Enqueue(Fault.Error);
        await using var proxy = await ProxyHost.StartAsync(Config("rt-after", [flaky], "max_attempts: 2"), time);
        using var client = proxy.CreateClient();

        var pending = client.GetAsync("/x");
        await CircuitBreakerProxyTests.WaitUntil(() => flaky.Requests == 1 && time.PendingTimers >= 2);
        time.Advance(TimeSpan.FromSeconds(1.9));
        await Task.Delay(100);
        Assert.False(pending.IsCompleted);
        Assert.Equal(1, flaky.Requests);
        time.Advance(TimeSpan.FromSeconds(0.1));
        using var response = await pending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, flaky.Requests);
    }

    [Fact]
    public async Task Retry_RetryAfterLongerThanAllowed_ResponseGoesToTheClient()
    {
        await using var flaky = await FaultUpstream.StartAsync("flaky", Fault.Error);
        flaky.RetryAfter = "120";
        await using var proxy = await ProxyHost.StartAsync(Config("rt-after-long", [flaky], "max_attempts: 3, max_retry_after_ms: 5000"));
        using var client = proxy.CreateClient();
        using var response = await client.GetAsync("/x");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(120), response.Headers.RetryAfter!.Delta);
        Assert.Equal(1, flaky.Requests);
    }

    [Fact]
    public async Task Retry_PerTryTimeout_HungEndpointAbandonedForTheOther()
    {
        using var metrics = new MetricsCapture();
        await using var hung = await FaultUpstream.StartAsync("hung", Fault.Hang);
        await using var good = await FaultUpstream.StartAsync("good");
        await using var proxy = await ProxyHost.StartAsync(Config("rt-pertry", [hung, good], "max_attempts: 2, per_try_timeout_ms: 200, retry_on: [timeout]"));
        using var client = proxy.CreateClient();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync("/x");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.InRange(hung.Requests, 1, 2);
        Assert.InRange(clock.ElapsedMilliseconds, 180 * hung.Requests, 2000);
        Assert.Equal(hung.Requests, metrics.Get("upstream_rq_per_try_timeout_total", "rt-pertry"));
        Assert.Equal(hung.Requests, metrics.Get("upstream_rq_timeout_total", "rt-pertry"));
    }

    [Fact]
    public async Task Retry_OverallTimeout_Answers504AfterTheRouteTimeoutWhateverTheAttemptsLeft()
    {
        await using var hung = await FaultUpstream.StartAsync("hung", Fault.Hang);
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                rt-overall:
                  endpoints: [{{hung.Endpoint()}}]
                  request_timeout_ms: 500
                  retry: { max_attempts: 10, per_try_timeout_ms: 150, retry_on: [timeout], base_delay_ms: 0, max_delay_ms: 0 }
              routes: [{ name: r, cluster: rt-overall }]
            """);
        using var client = proxy.CreateClient();
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync("/x");
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.InRange(clock.ElapsedMilliseconds, 450, 2000);
        // 150 ms tries fit three or four times in 500 ms; a cold first attempt (JIT, connection setup on a busy
        // machine) can leave room for only two. Ten would mean the route timeout did not bound the retries.
        Assert.InRange(hung.Requests, 2, 4);
        Assert.Contains("within 500 ms", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Retry_FailureStorm_BudgetKeepsUpstreamLoadWithin120PercentOfOffered()
    {
        using var metrics = new MetricsCapture();
        await using var down = await FaultUpstream.StartAsync("down", Fault.Error);
        await using var proxy = await ProxyHost.StartAsync(Config("rt-storm", [down], "max_attempts: 5"));
        using var client = proxy.CreateClient();
        var offered = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var clients = Enumerable.Range(0, 40).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.GetAsync("/x");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Interlocked.Increment(ref offered);
            }
        })).ToArray();
        await Task.WhenAll(clients);

        var ratio = down.Requests / (double)offered;
        Assert.True(offered > 200, $"only {offered} requests offered");
        Assert.True(ratio <= 1.2, $"upstream saw {down.Requests} requests for {offered} offered ({ratio:0.###}x)");
        Assert.True(metrics.Get("upstream_rq_retry_total", "rt-storm") > 0);
        Assert.True(metrics.Get("upstream_rq_retry_overflow_total", "rt-storm") > 0);
    }

    [Fact]
    public async Task Retry_SpecTopLevelSections_ApplyToUpstreamServices()
    {
        await using var bad = await FaultUpstream.StartAsync("bad", Fault.Error);
        await using var good = await FaultUpstream.StartAsync("good");
        await using var proxy = await ProxyHost.StartAsync($$"""
            upstream:
              services:
                rt-spec:
                  endpoints: [{{bad.Endpoint()}}, {{good.Endpoint()}}]
                  outlier_detection: { enabled: false }
            circuit_breaker:
              enabled: true
              failure_threshold: 5
              recovery_timeout_ms: 60000
            retry:
              max_attempts: 2
            """);
        using var client = proxy.CreateClient();
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync("/x");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("closed", (string?)(await CircuitBreakerProxyTests.Breaker(proxy, "rt-spec"))["state"]);
    }

    private static string Config(string cluster, FaultUpstream[] upstreams, string retry) => $$"""
        proxy:
          clusters:
            {{cluster}}:
              endpoints: [{{string.Join(", ", upstreams.Select(u => u.Endpoint()))}}]
              outlier_detection: { enabled: false }
              retry: { {{retry}} }
          routes:
            - { name: r, cluster: {{cluster}} }
        """;
}
