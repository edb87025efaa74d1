using System.Net;
using System.Text.Json.Nodes;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Resilience;

/// <summary>The per-cluster circuit breaker through real HTTP, with a fault-injecting upstream and a manual clock.</summary>
public sealed class CircuitBreakerProxyTests
{
    [Fact]
    public async Task Breaker_FullCycle_OpensAfterExactlyThresholdRejectsHalfOpensAndCloses()
    {
        var time = new ManualTimeProvider();
        using var metrics = new MetricsCapture();
        await using var upstream = await FaultUpstream.StartAsync("a", Fault.Error);
        upstream.Status = 500;
        await using var proxy = await ProxyHost.StartAsync(Config("cb-cycle", upstream, "failure_threshold: 3, recovery_timeout_ms: 10000"), time);
        using var client = proxy.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            using var failed = await client.GetAsync("/x");
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }

        Assert.Equal(1, metrics.Observe("proxy_circuit_breaker_state", "cb-cycle"));
        using (var refused = await client.GetAsync("/x"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("open", refused.Headers.GetValues("x-outrigger-circuit-breaker").Single());
            Assert.Equal(TimeSpan.FromSeconds(10), refused.Headers.RetryAfter!.Delta);
            Assert.Contains("circuit breaker open: cluster 'cb-cycle' is failing (3 consecutive failures)", await refused.Content.ReadAsStringAsync());
        }

        Assert.Equal(3, upstream.Requests);
        Assert.Equal("open", (string?)(await Breaker(proxy, "cb-cycle"))["state"]);

        time.Advance(TimeSpan.FromSeconds(9.9));
        using (var stillOpen = await client.GetAsync("/x"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stillOpen.StatusCode);
        }

        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(2, metrics.Observe("proxy_circuit_breaker_state", "cb-cycle"));
        Assert.Equal("half_open", (string?)(await Breaker(proxy, "cb-cycle"))["state"]);
        upstream.Mode = Fault.Ok;
        using (var probe = await client.GetAsync("/x"))
        {
            Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        }

        Assert.Equal(0, metrics.Observe("proxy_circuit_breaker_state", "cb-cycle"));
        Assert.Equal(4, upstream.Requests);
        Assert.Equal(1, metrics.Get("proxy_circuit_breaker_opened_total", "cb-cycle"));
        Assert.Equal(2, metrics.Get("proxy_circuit_breaker_rejected_total", "cb-cycle"));
    }

    [Fact]
    public async Task Breaker_SuccessBetweenFailures_ResetsTheConsecutiveCount()
    {
        await using var upstream = await FaultUpstream.StartAsync("a", Fault.Error);
        foreach (var fault in new[] { Fault.Error, Fault.Error, Fault.Ok, Fault.Error, Fault.Error, Fault.Ok })
        {
            upstream.Script.Enqueue(fault);
        }

        await using var proxy = await ProxyHost.StartAsync(Config("cb-reset", upstream, "failure_threshold: 3"));
        using var client = proxy.CreateClient();
        var statuses = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await client.GetAsync("/x");
            statuses.Add((int)response.StatusCode);
        }

        Assert.Equal([503, 503, 200, 503, 503, 200], statuses);
        Assert.Equal(6, upstream.Requests);
        Assert.Equal("closed", (string?)(await Breaker(proxy, "cb-reset"))["state"]);
    }

    [Fact]
    public async Task Breaker_HalfOpenProbeFails_OpensAgainForAnotherRecoveryTimeout()
    {
        var time = new ManualTimeProvider();
        await using var upstream = await FaultUpstream.StartAsync("a", Fault.Reset);
        await using var proxy = await ProxyHost.StartAsync(Config("cb-reopen", upstream, "failure_threshold: 2, recovery_timeout_ms: 5000"), time);
        using var client = proxy.CreateClient();
        for (var i = 0; i < 2; i++)
        {
            using var failed = await client.GetAsync("/x");
            Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        }

        time.Advance(TimeSpan.FromSeconds(5));
        using (var probe = await client.GetAsync("/x"))
        {
            Assert.Equal(HttpStatusCode.BadGateway, probe.StatusCode);
        }

        using (var refused = await client.GetAsync("/x"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("a half-open probe failed", await refused.Content.ReadAsStringAsync());
        }

        Assert.Equal(3, upstream.Requests);
    }

    [Fact]
    public async Task Breaker_HalfOpenMaxCalls_AdmitsThatManyProbesAtOnce()
    {
        var time = new ManualTimeProvider();
        await using var upstream = await FaultUpstream.StartAsync("a", Fault.Error);
        await using var proxy = await ProxyHost.StartAsync(Config("cb-probes", upstream, "failure_threshold: 1, recovery_timeout_ms: 1000, half_open_max_calls: 2"), time);
        using var client = proxy.CreateClient();
        using (await client.GetAsync("/x"))
        {
        }

        time.Advance(TimeSpan.FromSeconds(1));
        upstream.Mode = Fault.Ok;
        upstream.Delay = TimeSpan.FromMilliseconds(300);
        var probes = new[] { client.GetAsync("/x"), client.GetAsync("/x") };
        await WaitUntil(() => upstream.Requests == 3);
        using (var third = await client.GetAsync("/x"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
            Assert.Equal("half-open", third.Headers.GetValues("x-outrigger-circuit-breaker").Single());
        }

        foreach (var probe in probes)
        {
            using var response = await probe;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("closed", (string?)(await Breaker(proxy, "cb-probes"))["state"]);
    }

    [Fact]
    public async Task Breaker_FailureRatioOverWindow_OpensOnlyWithMinimumThroughput()
    {
        await using var upstream = await FaultUpstream.StartAsync("a");
        foreach (var fault in new[] { Fault.Ok, Fault.Error, Fault.Ok, Fault.Error, Fault.Error, Fault.Ok })
        {
            upstream.Script.Enqueue(fault);
        }

        await using var proxy = await ProxyHost.StartAsync(Config("cb-ratio", upstream, "failure_threshold: 0, failure_ratio: 0.5, minimum_throughput: 6, sampling_window_ms: 60000"));
        using var client = proxy.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            using var response = await client.GetAsync("/x");
        }

        Assert.Equal("closed", (string?)(await Breaker(proxy, "cb-ratio"))["state"]);
        using (await client.GetAsync("/x"))
        {
        }

        Assert.Equal("closed", (string?)(await Breaker(proxy, "cb-ratio"))["state"]);
        upstream.Mode = Fault.Error;
        using (await client.GetAsync("/x"))
        {
        }

        var breaker = await Breaker(proxy, "cb-ratio");
        Assert.Equal("open", (string?)breaker["state"]);
        Assert.Equal("4 of 7 attempts failed in 60 s", (string?)breaker["reason"]);
    }

    internal static string Config(string cluster, FaultUpstream upstream, string breaker) => $$"""
        proxy:
          clusters:
            {{cluster}}:
              endpoints: [{{upstream.Endpoint()}}]
              outlier_detection: { enabled: false }
              circuit_breaker: { {{breaker}} }
          routes:
            - { name: r, cluster: {{cluster}} }
        """;

    internal static async Task<JsonNode> Breaker(ProxyHost proxy, string cluster) =>
        JsonNode.Parse(await proxy.AdminGetAsync("/clusters"))![cluster]!["circuit_breaker"]!;

    internal static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
