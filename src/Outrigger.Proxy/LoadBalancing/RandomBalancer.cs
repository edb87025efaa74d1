using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;

namespace Outrigger.Proxy.LoadBalancing;

/// <summary>A uniformly random endpoint.</summary>
internal sealed class RandomBalancer : ILoadBalancer
{
    public EndpointState Pick(EndpointState[] available, HttpContext? context) => available[Random.Shared.Next(available.Length)];
}
