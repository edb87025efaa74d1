using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;

namespace Outrigger.Proxy.LoadBalancing;

/// <summary><c>least_connections</c>: of two random endpoints, the one with fewer requests in flight.</summary>
internal sealed class LeastRequestsBalancer : ILoadBalancer
{
    public EndpointState Pick(EndpointState[] available, HttpContext? context) => PowerOfTwoChoices.Pick(available, default(OutstandingLoad));

    private readonly struct OutstandingLoad : PowerOfTwoChoices.ILoad
    {
        public double Of(EndpointState endpoint) => endpoint.Outstanding;
    }
}
