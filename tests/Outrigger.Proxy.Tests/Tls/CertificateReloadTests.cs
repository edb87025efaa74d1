using System.Net;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Tls;

/// <summary>The listener's certificate is replaced when its files change; a bad change keeps the old one.</summary>
public sealed class CertificateReloadTests
{
    [Fact]
    public async Task FilesChanged_NewConnectionsGetTheNewCertificate_ExistingConnectionKeepsWorking_BadFilesIgnored()
    {
        var time = new ManualTimeProvider();
        using var ca = new TestCa();
        await using var upstream = await FaultUpstream.StartAsync("a");
        var (cert, key) = ca.IssueServer("first");
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              listen: 127.0.0.1:0
              tls: { cert_file: "{{cert}}", key_file: "{{key}}", reload_interval_ms: 1000 }
            upstream:
              services:
                reload: { endpoints: [{{upstream.Endpoint()}}] }
            """, time);
        var (first, firstSeen) = Client(proxy);
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/x")).StatusCode);
        Assert.Equal("CN=first", firstSeen());

        var (nextCert, nextKey) = ca.IssueServer("second");
        ca.Write(File.ReadAllText(nextCert), cert);
        ca.Write(File.ReadAllText(nextKey), key);
        time.Advance(TimeSpan.FromSeconds(1));
        var (second, secondSeen) = Client(proxy);
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/x")).StatusCode);
        Assert.Equal("CN=second", secondSeen());
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/x")).StatusCode);

        ca.Write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n", cert);
        time.Advance(TimeSpan.FromSeconds(1));
        var (third, thirdSeen) = Client(proxy);
        Assert.Equal(HttpStatusCode.OK, (await third.GetAsync("/x")).StatusCode);
        Assert.Equal("CN=second", thirdSeen());
        first.Dispose();
        second.Dispose();
        third.Dispose();
    }

    private static (HttpClient Client, Func<string?> Seen) Client(ProxyHost proxy)
    {
        string? seen = null;
        var handler = new SocketsHttpHandler { UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            seen = certificate?.Subject;
            return true;
        };
        return (new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{proxy.Port}") }, () => seen);
    }
}
