using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;

namespace Outrigger.Proxy.LoadBalancing;

/// <summary>Each endpoint in turn, ignoring weights.</summary>
internal sealed class RoundRobinBalancer : ILoadBalancer
{
    private uint _next = uint.MaxValue;

    public EndpointState Pick(EndpointState[] available, HttpContext? context) =>
        available[(int)(Interlocked.Increment(ref _next) % (uint)available.Length)];
}
