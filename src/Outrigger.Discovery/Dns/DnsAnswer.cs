using System.Net;

namespace Outrigger.Discovery.Dns;

/// <summary>The addresses a name resolved to and how long they may be cached (null when the resolver does not say).</summary>
public sealed record DnsAnswer(IReadOnlyList<IPAddress> Addresses, TimeSpan? Ttl);

/// <summary>Resolves a name to its A and AAAA records.</summary>
public interface IDnsResolver
{
    Task<DnsAnswer> ResolveAsync(string name, CancellationToken cancellationToken);
}
