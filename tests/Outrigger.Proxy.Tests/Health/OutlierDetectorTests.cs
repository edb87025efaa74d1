using Outrigger.Discovery;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Health;

public sealed class OutlierDetectorTests
{
    private static readonly ForwardResult Status500 = new(500, ForwarderError.None);
    private static readonly ForwardResult ConnectFailed = new(502, ForwarderError.ConnectFailed);
    private static readonly ForwardResult Ok = new(200, ForwarderError.None);

    [Fact]
    public void Report_Consecutive5xxReachThreshold_EjectsThenReadmitsAfterBaseTime()
    {
        var time = new ManualTimeProvider();
        using var cluster = Create(time, 3);
        var endpoint = cluster.All[0];

        Report(cluster, endpoint, Status500, 4);
        Assert.Equal(3, cluster.Available.Length);
        Report(cluster, endpoint, Status500, 1);

        Assert.Equal(2, cluster.Available.Length);
        Assert.DoesNotContain(endpoint, cluster.Available);
        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.Equal(2, cluster.Available.Length);
        time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Contains(endpoint, cluster.Available);
    }

    [Fact]
    public void Report_GatewayFailures_EjectSoonerThan5xx()
    {
        var time = new ManualTimeProvider();
        using var cluster = Create(time, 3);

        Report(cluster, cluster.All[1], ConnectFailed, 2);

        Assert.Equal(2, cluster.Available.Length);
    }

    [Fact]
    public void Report_SuccessInBetween_ResetsTheCount()
    {
        var time = new ManualTimeProvider();
        using var cluster = Create(time, 3);
        var endpoint = cluster.All[0];

        Report(cluster, endpoint, Status500, 4);
        Report(cluster, endpoint, Ok, 1);
        Report(cluster, endpoint, Status500, 4);

        Assert.Equal(3, cluster.Available.Length);
    }

    [Fact]
    public void Report_EjectedAgain_EjectionTimeGrowsWithRepeats()
    {
        var time = new ManualTimeProvider();
        using var cluster = Create(time, 3);
        var endpoint = cluster.All[0];
        Report(cluster, endpoint, Status500, 5);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Contains(endpoint, cluster.Available);

        Report(cluster, endpoint, Status500, 5);
        time.Advance(TimeSpan.FromSeconds(19));
        Assert.DoesNotContain(endpoint, cluster.Available);
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Contains(endpoint, cluster.Available);
        Assert.Equal(2, endpoint.Outliers.Ejections);
    }

    [Fact]
    public void Report_MaxEjectionPercentReached_KeepsTheRestInRotation()
    {
        var time = new ManualTimeProvider();
        using var cluster = Create(time, 2);

        Report(cluster, cluster.All[0], Status500, 5);
        Report(cluster, cluster.All[1], Status500, 5);

        Assert.Equal([cluster.All[1]], cluster.Available);
    }

    [Fact]
    public void Report_OnlyEndpoint_IsNeverEjected()
    {
        var time = new ManualTimeProvider();
        using var cluster = Create(time, 1);

        Report(cluster, cluster.All[0], Status500, 50);

        Assert.Single(cluster.Available);
    }

    private static ClusterState Create(ManualTimeProvider time, int endpoints) => Endpoints.Cluster(
        "outlier_detection: { consecutive_5xx: 5, consecutive_gateway_failures: 2, base_ejection_time_ms: 10000, max_ejection_time_ms: 60000, max_ejection_percent: 50 }",
        time,
        [.. Enumerable.Range(1, endpoints).Select(i => new DiscoveredEndpoint($"10.0.0.{i}", 80))]);

    private static void Report(ClusterState cluster, EndpointState endpoint, ForwardResult result, int times)
    {
        for (var i = 0; i < times; i++)
        {
            cluster.ReportOutcome(endpoint, result);
        }
    }
}
