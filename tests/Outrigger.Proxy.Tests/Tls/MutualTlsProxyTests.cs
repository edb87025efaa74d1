using System.Net;
using System.Security.Cryptography.X509Certificates;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Tls;

/// <summary>TLS termination with client certificates verified against a test CA: valid, expired, wrong CA, none.</summary>
public sealed class MutualTlsProxyTests : IAsyncLifetime
{
    private const string Frontend = "spiffe://cluster.local/ns/web/sa/frontend";
    private readonly TestCa _ca = new();
    private readonly TestCa _otherCa = new("Some Other CA");
    private FaultUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FaultUpstream.StartAsync("a");

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        _ca.Dispose();
        _otherCa.Dispose();
    }

    [Fact]
    public async Task Require_ValidClientCertificate_IdentityForwardedAndUsableByAuthorization()
    {
        await using var proxy = await StartAsync("require", authorization: true);
        using (var frontend = Client(proxy, _ca.IssueClient(Frontend)))
        using (var response = await frontend.GetAsync("/x"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var xfcc = _upstream.Headers.Last()["x-forwarded-client-cert"].ToString();
        Assert.Contains($"URI={Frontend}", xfcc);
        Assert.Contains("Subject=\"CN=client\"", xfcc);
        Assert.Matches("^Hash=[0-9a-f]{64};", xfcc);

        using var other = Client(proxy, _ca.IssueClient("spiffe://cluster.local/ns/batch/sa/worker"));
        using var denied = await other.GetAsync("/x");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("wrong-ca")]
    [InlineData("none")]
    public async Task Require_BadOrMissingClientCertificate_HandshakeRefused(string kind)
    {
        await using var proxy = await StartAsync("require");
        var certificate = kind switch
        {
            "expired" => _ca.IssueClient(Frontend, expired: true),
            "wrong-ca" => _otherCa.IssueClient(Frontend),
            _ => null,
        };
        using var client = Client(proxy, certificate);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/x"));
        Assert.Equal(0, _upstream.Requests);
    }

    [Fact]
    public async Task Optional_NoCertificate_AcceptedWithoutIdentity_SpoofedHeaderRemoved()
    {
        await using var proxy = await StartAsync("optional");
        using var client = Client(proxy, null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("x-forwarded-client-cert", $"URI={Frontend}");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(_upstream.Headers.Last().ContainsKey("x-forwarded-client-cert"));
    }

    private async Task<ProxyHost> StartAsync(string clientAuth, bool authorization = false)
    {
        var (cert, key) = _ca.IssueServer();
        var rules = authorization ? $$"""
              authorization:
                rules:
                  - { name: frontend-only, identities: ["{{Frontend}}"] }
            """ : "  authorization: { enabled: false }";
        return await ProxyHost.StartAsync($$"""
            server:
              bind_address: 127.0.0.1
              port: 0
              tls: { cert_file: "{{cert}}", key_file: "{{key}}", client_auth: {{clientAuth}}, client_ca_file: "{{_ca.CertFile}}" }
            upstream:
              services:
                mtls: { endpoints: [{{_upstream.Endpoint()}}] }
            security:
            {{rules}}
            """);
    }

    private HttpClient Client(ProxyHost proxy, X509Certificate2? certificate)
    {
        var handler = new SocketsHttpHandler { UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.Issuer == _ca.Certificate.Subject;
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [certificate];
        }

        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{proxy.Port}") };
    }
}
