using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Discovery;
using Outrigger.Proxy.Health;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Health;

public sealed class ActiveHealthCheckerTests
{
    [Fact]
    public async Task ProbeAsync_FailuresThenSuccesses_LeavesAndRejoinsAtThresholds()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        using var cluster = Endpoints.Cluster("health_check: { enabled: true, path: /health, unhealthy_threshold: 3, healthy_threshold: 2 }",
            TimeProvider.System, new DiscoveredEndpoint("127.0.0.1", upstream.Port));
        await using var checker = new ActiveHealthChecker(cluster, cluster.Options.HealthCheck, TimeProvider.System, NullLogger.Instance);
        var endpoint = cluster.All[0];

        upstream.HealthStatus = 503;
        Assert.False(await checker.ProbeAsync(endpoint, CancellationToken.None));
        Assert.False(await checker.ProbeAsync(endpoint, CancellationToken.None));
        Assert.Single(cluster.Available);
        Assert.False(await checker.ProbeAsync(endpoint, CancellationToken.None));
        Assert.Empty(cluster.Available);
        Assert.Equal("status 503", endpoint.Probes.LastFailure);

        upstream.HealthStatus = 200;
        Assert.True(await checker.ProbeAsync(endpoint, CancellationToken.None));
        Assert.Empty(cluster.Available);
        Assert.True(await checker.ProbeAsync(endpoint, CancellationToken.None));
        Assert.Single(cluster.Available);
    }

    [Fact]
    public async Task ProbeAsync_NothingListening_FailsWithReason()
    {
        var port = ForwardingTests.FreePort();
        using var cluster = Endpoints.Cluster("health_check: { enabled: true, unhealthy_threshold: 1 }", TimeProvider.System, new DiscoveredEndpoint("127.0.0.1", port));
        await using var checker = new ActiveHealthChecker(cluster, cluster.Options.HealthCheck, TimeProvider.System, NullLogger.Instance);

        Assert.False(await checker.ProbeAsync(cluster.All[0], CancellationToken.None));

        Assert.Empty(cluster.Available);
        Assert.Contains("refused", cluster.All[0].Probes.LastFailure, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Start_ManualClock_ProbesEveryInterval()
    {
        var time = new ManualTimeProvider();
        await using var upstream = await TestUpstream.StartAsync("a");
        upstream.HealthStatus = 500;
        using var cluster = Endpoints.Cluster("health_check: { enabled: true, interval_ms: 5000, jitter_ms: 0, unhealthy_threshold: 3 }",
            time, new DiscoveredEndpoint("127.0.0.1", upstream.Port));
        await using var checker = new ActiveHealthChecker(cluster, cluster.Options.HealthCheck, time, NullLogger.Instance);

        checker.Start();

        // Two timers: the checker's next probe and the endpoint's connection pool sweeping idle connections.
        await WaitUntil(() => cluster.All[0].Probes.Failures == 1 && time.PendingTimers == 2);
        time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(1, cluster.All[0].Probes.Failures);
        time.Advance(TimeSpan.FromSeconds(0.1));
        await WaitUntil(() => cluster.All[0].Probes.Failures == 2 && time.PendingTimers == 2);
        Assert.Single(cluster.Available);
        time.Advance(TimeSpan.FromSeconds(5));
        await WaitUntil(() => cluster.Available.Length == 0);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 10 s");
            await Task.Delay(10);
        }
    }
}
