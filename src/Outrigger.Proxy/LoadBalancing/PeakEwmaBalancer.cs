using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;

namespace Outrigger.Proxy.LoadBalancing;

/// <summary>
/// <c>peak_ewma</c>: power of two choices over <c>latency EWMA × (requests in flight + 1)</c>, as Linkerd and Finagle do,
/// so slow endpoints get less traffic. An endpoint without samples costs nothing while idle and a large penalty per
/// request in flight, so a new endpoint is tried at once but not flooded before its latency is known.
/// </summary>
internal sealed class PeakEwmaBalancer : ILoadBalancer
{
    private const double Penalty = 1e6;

    public EndpointState Pick(EndpointState[] available, HttpContext? context) => PowerOfTwoChoices.Pick(available, default(EwmaLoad));

    internal static double Load(EndpointState endpoint)
    {
        var outstanding = endpoint.Outstanding;
        return endpoint.Latency.HasSamples
            ? endpoint.Latency.Seconds * (outstanding + 1)
            : outstanding == 0 ? 0 : Penalty + outstanding;
    }

    private readonly struct EwmaLoad : PowerOfTwoChoices.ILoad
    {
        public double Of(EndpointState endpoint) => Load(endpoint);
    }
}
