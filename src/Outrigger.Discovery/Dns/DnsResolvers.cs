namespace Outrigger.Discovery.Dns;

/// <summary>Chooses the resolver for a DNS discovery: the system's for now.</summary>
public static class DnsResolvers
{
    public static IDnsResolver Create(string? server) => new SystemDnsResolver();
}
