using Outrigger.Proxy.Configuration;

namespace Outrigger.Proxy.LoadBalancing;

internal static class LoadBalancers
{
    public static ILoadBalancer Create(LoadBalancingOptions options) => options.Algorithm switch
    {
        LoadBalancingAlgorithm.LeastConnections => new LeastRequestsBalancer(),
        LoadBalancingAlgorithm.WeightedRoundRobin => new SmoothWeightedRoundRobinBalancer(),
        LoadBalancingAlgorithm.ConsistentHash => new ConsistentHashRingBalancer(new HashKey(options.HashOn, options.HashKey)),
        LoadBalancingAlgorithm.Maglev => new MaglevBalancer(new HashKey(options.HashOn, options.HashKey)),
        LoadBalancingAlgorithm.PeakEwma => new PeakEwmaBalancer(),
        LoadBalancingAlgorithm.Random => new RandomBalancer(),
        _ => new RoundRobinBalancer(),
    };
}
