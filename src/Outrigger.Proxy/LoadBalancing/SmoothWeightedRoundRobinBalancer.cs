using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;

namespace Outrigger.Proxy.LoadBalancing;

/// <summary>
/// <c>weighted_round_robin</c>, nginx's smooth variant: every pick adds each endpoint's weight to its running weight,
/// takes the largest and subtracts the total from it. Weights 5:1:1 give a,a,b,a,c,a,a — spread, not bursts.
/// </summary>
internal sealed class SmoothWeightedRoundRobinBalancer : ILoadBalancer
{
    private readonly Lock _lock = new();

    public EndpointState Pick(EndpointState[] available, HttpContext? context)
    {
        lock (_lock)
        {
            long total = 0;
            EndpointState? best = null;
            foreach (var endpoint in available)
            {
                endpoint.CurrentWeight += endpoint.Weight;
                total += endpoint.Weight;
                if (best is null || endpoint.CurrentWeight > best.CurrentWeight)
                {
                    best = endpoint;
                }
            }

            best!.CurrentWeight -= total;
            return best;
        }
    }
}
