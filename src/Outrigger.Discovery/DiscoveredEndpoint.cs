namespace Outrigger.Discovery;

/// <summary>One address a service can be reached at, as a discovery provider reports it.</summary>
/// <param name="Host">An IP literal or a host name.</param>
/// <param name="Port">TCP port, 1-65535.</param>
/// <param name="Weight">Relative share of traffic for weighted load balancers (1 or more).</param>
/// <param name="Metadata">Free-form labels (zone, version, …) for routing decisions and the admin API.</param>
public sealed record DiscoveredEndpoint(string Host, int Port, int Weight = 1, IReadOnlyDictionary<string, string>? Metadata = null)
{
    /// <summary><c>host:port</c>, with IPv6 literals in brackets.</summary>
    public string Authority => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public override string ToString() => Authority;
}
