using System.Net;
using System.Security.Cryptography.X509Certificates;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Tls;

/// <summary>TLS to upstreams with a pinned CA: a certificate from that CA is accepted, one from another CA is not.</summary>
public sealed class UpstreamTlsPinningTests
{
    [Fact]
    public async Task PinnedCa_UpstreamFromThatCaAccepted_FromAnotherCaRefused()
    {
        using var ca = new TestCa();
        using var other = new TestCa("Other CA");
        var (certFile, keyFile) = ca.IssueServer();
        using var certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        await using var upstream = await TestUpstream.StartAsync("tls", tls: certificate);
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                pinned:
                  endpoints: [{{upstream.Endpoint()}}]
                  tls: { enabled: true, server_name: localhost, ca_file: "{{ca.CertFile}}" }
                wrong:
                  endpoints: [{{upstream.Endpoint()}}]
                  tls: { enabled: true, server_name: localhost, ca_file: "{{other.CertFile}}" }
              routes:
                - { name: pinned, cluster: pinned, match: { path_prefix: /pinned } }
                - { name: wrong, cluster: wrong }
            """);
        using var client = proxy.CreateClient();
        using (var ok = await client.GetAsync("/pinned/x"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("tls", ok.Headers.GetValues("x-upstream").Single());
        }

        using var refused = await client.GetAsync("/wrong/x");
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Contains("upstream connect error", await refused.Content.ReadAsStringAsync());
    }
}
