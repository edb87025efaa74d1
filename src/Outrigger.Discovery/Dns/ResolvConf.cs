using System.Globalization;
using System.Net;

namespace Outrigger.Discovery.Dns;

/// <summary>The parts of resolv.conf(5) a stub resolver needs: nameservers, search domains and ndots.</summary>
internal sealed record ResolvConf(IReadOnlyList<IPEndPoint> Servers, IReadOnlyList<string> Search, int Ndots)
{
    public static ResolvConf Read(string path)
    {
        var servers = new List<IPEndPoint>();
        var search = new List<string>();
        var ndots = 1;
        var lines = File.Exists(path) ? File.ReadAllLines(path) : [];
        foreach (var line in lines)
        {
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || parts[0].StartsWith('#') || parts[0].StartsWith(';'))
            {
                continue;
            }

            switch (parts[0])
            {
                case "nameserver" when IPAddress.TryParse(parts[1], out var address):
                    servers.Add(new IPEndPoint(address, 53));
                    break;
                case "search" or "domain":
                    search.Clear();
                    search.AddRange(parts.Skip(1));
                    break;
                case "options":
                    foreach (var option in parts.Skip(1))
                    {
                        if (option.StartsWith("ndots:", StringComparison.Ordinal) && int.TryParse(option.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                        {
                            ndots = Math.Clamp(n, 0, 15);
                        }
                    }

                    break;
            }
        }

        if (servers.Count == 0)
        {
            servers.Add(new IPEndPoint(IPAddress.Loopback, 53));
        }

        return new ResolvConf(servers, search, ndots);
    }
}
