using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;

namespace Outrigger.Proxy.LoadBalancing;

/// <summary>Picks one endpoint for a request among the available ones.</summary>
internal interface ILoadBalancer
{
    /// <param name="available">The cluster's available endpoints; never empty. The array is replaced, never mutated, when the set changes.</param>
    /// <param name="context">The request (hashing balancers read their key from it); null for synthetic picks in tests.</param>
    EndpointState Pick(EndpointState[] available, HttpContext? context);
}
