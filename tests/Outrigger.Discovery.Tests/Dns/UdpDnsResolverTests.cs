using System.Net;
using Outrigger.Discovery.Dns;

namespace Outrigger.Discovery.Tests.Dns;

public sealed class UdpDnsResolverTests
{
    [Fact]
    public async Task ResolveAsync_RealServer_ReturnsAAndAaaaWithTtl()
    {
        using var dns = new Dnsmasq(42, "10.1.0.1 api.test", "10.1.0.2 api.test", "fd00::5 api.test");
        var resolver = UdpDnsResolver.Create(dns.EndPoint);

        var answer = await resolver.ResolveAsync("api.test", CancellationToken.None);

        Assert.Equal(["10.1.0.1", "10.1.0.2", "fd00::5"], answer.Addresses.Select(a => a.ToString()).Order());
        Assert.Equal(TimeSpan.FromSeconds(42), answer.Ttl);
    }

    [Fact]
    public async Task ResolveAsync_UnknownName_ThrowsNamingIt()
    {
        using var dns = new Dnsmasq(5, "10.1.0.1 api.test");
        var resolver = new UdpDnsResolver([dns.EndPoint], [], 1, TimeSpan.FromSeconds(2));

        var error = await Assert.ThrowsAsync<DnsException>(() => resolver.ResolveAsync("nope.test", CancellationToken.None));

        Assert.Contains("nope.test", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_ShortName_UsesSearchDomains()
    {
        using var dns = new Dnsmasq(5, "10.1.0.9 api.default.svc.cluster.local");
        var resolver = new UdpDnsResolver([dns.EndPoint], ["default.svc.cluster.local", "svc.cluster.local"], 5, TimeSpan.FromSeconds(2));

        var answer = await resolver.ResolveAsync("api", CancellationToken.None);

        Assert.Equal(IPAddress.Parse("10.1.0.9"), Assert.Single(answer.Addresses));
    }

    [Fact]
    public async Task ResolveAsync_NoServerAnswers_FailsWithinTimeout()
    {
        using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var resolver = new UdpDnsResolver([(IPEndPoint)silent.LocalEndPoint!], [], 1, TimeSpan.FromMilliseconds(300));

        var error = await Assert.ThrowsAsync<DnsException>(() => resolver.ResolveAsync("api.test", CancellationToken.None));

        Assert.Contains("no answer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolvConf_Read_ServersSearchAndNdots()
    {
        var file = Path.GetTempFileName();
        File.WriteAllLines(file, ["# comment", "nameserver 10.96.0.10", "search default.svc.cluster.local svc.cluster.local", "options ndots:5 timeout:1"]);
        try
        {
            var conf = ResolvConf.Read(file);

            Assert.Equal(new IPEndPoint(IPAddress.Parse("10.96.0.10"), 53), Assert.Single(conf.Servers));
            Assert.Equal(["default.svc.cluster.local", "svc.cluster.local"], conf.Search);
            Assert.Equal(5, conf.Ndots);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
