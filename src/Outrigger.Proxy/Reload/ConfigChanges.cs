using Outrigger.Proxy.Configuration;

namespace Outrigger.Proxy.Reload;

/// <summary>What differs between two configurations, as far as a reload cares.</summary>
internal static class ConfigChanges
{
    /// <summary>
    /// Whether <paramref name="next"/> differs from <paramref name="current"/> at most by its static endpoints: the running
    /// cluster is then kept (its connection pools, breaker, health and counters) and only its endpoint set is replaced.
    /// </summary>
    public static bool SameExceptEndpoints(ClusterOptions current, ClusterOptions next) =>
        current.Breaker.FailureStatusCodes.AsSpan().SequenceEqual(next.Breaker.FailureStatusCodes)
        && current.Retry.RetriableStatusCodes.AsSpan().SequenceEqual(next.Retry.RetriableStatusCodes)
        && current with
        {
            Endpoints = next.Endpoints,
            Breaker = current.Breaker with { FailureStatusCodes = next.Breaker.FailureStatusCodes },
            Retry = current.Retry with { RetriableStatusCodes = next.Retry.RetriableStatusCodes },
        } == next;

    public static bool SameEndpoints(ClusterOptions current, ClusterOptions next)
    {
        if (current.Endpoints.Count != next.Endpoints.Count)
        {
            return false;
        }

        for (var i = 0; i < current.Endpoints.Count; i++)
        {
            if (current.Endpoints[i].Authority != next.Endpoints[i].Authority || current.Endpoints[i].Weight != next.Endpoints[i].Weight)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Settings of the listener that a reload cannot change (they need a restart), by key; empty when none changed.</summary>
    public static List<string> NeedingRestart(ProxyOptions current, ProxyOptions next)
    {
        var changed = new List<string>();
        if (current.Listener.Address != next.Listener.Address)
        {
            changed.Add("proxy.listen");
        }

        if (current.Listener.Protocols != next.Listener.Protocols)
        {
            changed.Add("proxy.protocols");
        }

        if ((current.Listener.Tls is null) != (next.Listener.Tls is null))
        {
            changed.Add("proxy.tls");
        }

        if (current.Limits != next.Limits)
        {
            changed.Add("proxy.limits");
        }

        return changed;
    }
}
