using Outrigger.Proxy.Clusters;

namespace Outrigger.Proxy.LoadBalancing;

/// <summary>Picks two distinct endpoints at random and keeps the one with the lower load (power of two choices).</summary>
internal static class PowerOfTwoChoices
{
    public static EndpointState Pick<TLoad>(EndpointState[] available, TLoad load)
        where TLoad : struct, ILoad
    {
        if (available.Length == 1)
        {
            return available[0];
        }

        var first = Random.Shared.Next(available.Length);
        var second = Random.Shared.Next(available.Length - 1);
        if (second >= first)
        {
            second++;
        }

        var a = available[first];
        var b = available[second];
        return load.Of(b) < load.Of(a) ? b : a;
    }

    /// <summary>The load measure being compared (a struct, so the call is not virtual).</summary>
    internal interface ILoad
    {
        double Of(EndpointState endpoint);
    }
}
