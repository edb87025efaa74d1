namespace Outrigger.Discovery.Dns;

/// <summary>The operating system's resolver (honours /etc/hosts and nsswitch) — it does not report TTLs.</summary>
public sealed class SystemDnsResolver : IDnsResolver
{
    public async Task<DnsAnswer> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        var addresses = await System.Net.Dns.GetHostAddressesAsync(name, cancellationToken).ConfigureAwait(false);
        return new DnsAnswer(addresses, null);
    }
}
