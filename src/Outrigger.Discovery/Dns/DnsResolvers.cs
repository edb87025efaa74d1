using System.Net;

namespace Outrigger.Discovery.Dns;

/// <summary>
/// Chooses the resolver for a DNS discovery: names listed in <c>/etc/hosts</c> (and <c>localhost</c>) go to the operating
/// system's resolver, which has no TTL; everything else to <see cref="UdpDnsResolver"/>, which reads TTLs.
/// </summary>
public static class DnsResolvers
{
    /// <param name="name">The name that will be resolved.</param>
    /// <param name="server">An explicit DNS server <c>host:port</c>; null for the nameservers of /etc/resolv.conf.</param>
    public static IDnsResolver Create(string name, string? server, string hostsFile = "/etc/hosts")
    {
        if (server is null && (name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || InHostsFile(name, hostsFile)))
        {
            return new SystemDnsResolver();
        }

        return UdpDnsResolver.Create(server is null ? null : ParseServer(server));
    }

    private static IPEndPoint ParseServer(string server)
    {
        var colon = server.LastIndexOf(':');
        var host = colon > 0 ? server[..colon].Trim('[', ']') : server;
        var port = colon > 0 ? int.Parse(server.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture) : 53;
        return new IPEndPoint(IPAddress.Parse(host), port);
    }

    private static bool InHostsFile(string name, string hostsFile)
    {
        if (!File.Exists(hostsFile))
        {
            return false;
        }

        foreach (var line in File.ReadLines(hostsFile))
        {
            var content = line.Split('#')[0].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            for (var i = 1; i < content.Length; i++)
            {
                if (content[i].Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
