using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.LoadBalancing;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.LoadBalancing;

public sealed class LoadBalancerTests
{
    [Fact]
    public void RoundRobin_Picks_EachEndpointInTurn()
    {
        var endpoints = Endpoints.Many(3);
        var balancer = new RoundRobinBalancer();

        var picks = Enumerable.Range(0, 6).Select(_ => balancer.Pick(endpoints, null)).ToArray();

        Assert.Equal([endpoints[0], endpoints[1], endpoints[2], endpoints[0], endpoints[1], endpoints[2]], picks);
    }

    [Fact]
    public void SmoothWeighted_Weights511_InterleavesAndMatchesWeightsExactly()
    {
        EndpointState[] endpoints = [Endpoints.Create("a:1", 5), Endpoints.Create("b:1", 1), Endpoints.Create("c:1", 1)];
        var balancer = new SmoothWeightedRoundRobinBalancer();

        var first = string.Concat(Enumerable.Range(0, 7).Select(_ => balancer.Pick(endpoints, null).Endpoint.Host));
        var counts = Count(Enumerable.Range(0, 7000).Select(_ => balancer.Pick(endpoints, null)));

        Assert.Equal("aabacaa", first);
        Assert.Equal([5000, 1000, 1000], endpoints.Select(e => counts[e]));
    }

    [Fact]
    public void LeastRequests_BusyEndpoint_IsNeverPreferred()
    {
        var endpoints = Endpoints.Many(3);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(endpoints[0].TryBeginRequest());
        }

        var balancer = new LeastRequestsBalancer();
        var counts = Count(Enumerable.Range(0, 3000).Select(_ => balancer.Pick(endpoints, null)));

        Assert.Equal(0, counts.GetValueOrDefault(endpoints[0]));
        Assert.InRange(counts[endpoints[1]], 1200, 1800);
    }

    [Fact]
    public void PeakEwma_SlowEndpoint_GetsLittleTraffic()
    {
        var time = new ManualTimeProvider();
        EndpointState[] endpoints = [Endpoints.Create("fast:1", time: time), Endpoints.Create("slow:1", time: time)];
        endpoints[0].Latency.Observe(0.001);
        endpoints[1].Latency.Observe(0.100);
        var balancer = new PeakEwmaBalancer();

        var counts = Count(Enumerable.Range(0, 1000).Select(_ => balancer.Pick(endpoints, null)));

        Assert.Equal(1000, counts[endpoints[0]]);
    }

    [Fact]
    public void PeakEwma_FastEndpointLoaded_ShiftsToSlowerWhenCostsCross()
    {
        var time = new ManualTimeProvider();
        EndpointState[] endpoints = [Endpoints.Create("fast:1", time: time), Endpoints.Create("slow:1", time: time)];
        endpoints[0].Latency.Observe(0.010);
        endpoints[1].Latency.Observe(0.025);
        var balancer = new PeakEwmaBalancer();

        // Cost = EWMA × (in flight + 1): fast 10, 20, then 30 ms > slow 25 ms; after that slow costs 50 ms.
        var picks = new List<EndpointState>();
        for (var i = 0; i < 4; i++)
        {
            var picked = balancer.Pick(endpoints, null);
            Assert.True(picked.TryBeginRequest());
            picks.Add(picked);
        }

        Assert.Equal(["fast", "fast", "slow", "fast"], picks.Select(p => p.Endpoint.Host));
    }

    [Fact]
    public void LatencyEwma_PeakThenDecay_ReactsAtOnceAndForgetsSlowly()
    {
        var time = new ManualTimeProvider();
        var ewma = new LatencyEwma(time, TimeSpan.FromSeconds(10));
        ewma.Observe(0.010);
        ewma.Observe(0.500);
        Assert.Equal(0.500, ewma.Seconds, 6);

        time.Advance(TimeSpan.FromSeconds(10));
        ewma.Observe(0.010);

        // Weight of the old average after one time constant: e^-1.
        Assert.Equal((0.500 * Math.Exp(-1)) + (0.010 * (1 - Math.Exp(-1))), ewma.Seconds, 6);
    }

    [Theory]
    [InlineData("ring")]
    [InlineData("maglev")]
    public void Hash_EndpointLeaves_OnlyItsKeysMoveAboutOneInN(string kind)
    {
        var algorithm = kind == "ring" ? LoadBalancingAlgorithm.ConsistentHash : LoadBalancingAlgorithm.Maglev;
        var endpoints = Endpoints.Many(10);
        var balancer = Create(algorithm);
        var keys = Enumerable.Range(0, 20_000).Select(i => $"user-{i}").ToArray();
        var before = keys.ToDictionary(k => k, k => balancer.Pick(endpoints, WithHeader(k)));
        var counts = Count(before.Values);

        var removed = endpoints[3];
        var remaining = endpoints.Where(e => e != removed).ToArray();
        var after = keys.ToDictionary(k => k, k => balancer.Pick(remaining, WithHeader(k)));

        var moved = keys.Where(k => before[k] != after[k]).ToArray();
        var movedFraction = moved.Length / (double)keys.Length;
        Assert.All(keys.Where(k => before[k] == removed), k => Assert.NotEqual(removed, after[k]));
        Assert.InRange(movedFraction, 0.07, algorithm == LoadBalancingAlgorithm.ConsistentHash ? 0.13 : 0.16);
        if (algorithm == LoadBalancingAlgorithm.ConsistentHash)
        {
            Assert.All(moved, k => Assert.Equal(removed, before[k]));
        }

        Assert.All(endpoints, e => Assert.InRange(counts[e], 2000 * 0.7, 2000 * 1.3));
    }

    [Theory]
    [InlineData("ring")]
    [InlineData("maglev")]
    public void Hash_Weights1To3_TrafficSharesFollowWeights(string kind)
    {
        var algorithm = kind == "ring" ? LoadBalancingAlgorithm.ConsistentHash : LoadBalancingAlgorithm.Maglev;
        EndpointState[] endpoints = [Endpoints.Create("10.0.0.1:80", 1), Endpoints.Create("10.0.0.2:80", 3)];
        var balancer = Create(algorithm);

        var counts = Count(Enumerable.Range(0, 20_000).Select(i => balancer.Pick(endpoints, WithHeader($"k{i}"))));

        Assert.InRange(counts[endpoints[0]] / 20_000.0, 0.20, 0.30);
    }

    [Fact]
    public void Hash_SameKey_SameEndpoint_MissingKeySpreads()
    {
        var endpoints = Endpoints.Many(5);
        var balancer = Create(LoadBalancingAlgorithm.Maglev);

        var same = Enumerable.Range(0, 100).Select(_ => balancer.Pick(endpoints, WithHeader("alice"))).Distinct().Count();
        var spread = Enumerable.Range(0, 500).Select(_ => balancer.Pick(endpoints, new DefaultHttpContext())).Distinct().Count();

        Assert.Equal(1, same);
        Assert.Equal(5, spread);
    }

    private static ILoadBalancer Create(LoadBalancingAlgorithm algorithm) => LoadBalancers.Create(
        new LoadBalancingOptions(algorithm, HashKeySource.Header, "x-user", StickySessions: false, "affinity", TimeSpan.FromSeconds(10)));

    private static DefaultHttpContext WithHeader(string value)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["x-user"] = value;
        return context;
    }

    private static Dictionary<EndpointState, int> Count(IEnumerable<EndpointState> picks)
    {
        var counts = new Dictionary<EndpointState, int>();
        foreach (var pick in picks)
        {
            counts[pick] = counts.GetValueOrDefault(pick) + 1;
        }

        return counts;
    }
}
