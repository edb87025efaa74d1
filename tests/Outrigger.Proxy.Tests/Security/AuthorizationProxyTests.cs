using System.Net;
using System.Net.Http.Headers;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Security;

/// <summary>The built-in authorization engine through real HTTP: ordered rules, default deny, 403.</summary>
public sealed class AuthorizationProxyTests : IAsyncLifetime
{
    private readonly TokenIssuer _issuer = new();
    private FaultUpstream _upstream = null!;
    private ProxyHost _proxy = null!;

    // The key set is fetched on the first request; a CI machine running every test assembly at once has stalled that
    // fetch past the 5 s default, so the tests allow more (the rules, not the fetch, are under test here).
    public async Task InitializeAsync()
    {
        await _issuer.StartAsync();
        _upstream = await FaultUpstream.StartAsync("a");
        _proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                authz: { endpoints: [{{_upstream.Endpoint()}}] }
              routes:
                - { name: public, cluster: authz, match: { path_prefix: /public } }
                - { name: internal, cluster: authz, match: { path_prefix: /internal } }
                - { name: api, cluster: authz }
            security:
              authentication:
                mode: optional
                jwt: { jwks_url: "{{_issuer.JwksUrl}}", audiences: [api], jwks_timeout_ms: 30000 }
              authorization:
                default_action: deny
                rules:
                  - { name: block-maintenance, action: deny, paths: ["/public/maintenance/**"] }
                  - { name: public-reads, routes: [public], methods: [GET, HEAD] }
                  - { name: local-internal, routes: [internal], source_cidrs: ["127.0.0.0/8"] }
                  - { name: remote-internal, action: deny, routes: [internal] }
                  - { name: admins, paths: ["/admin/**"], claims: { role: [admin, ops] } }
                  - { name: readers, methods: [GET], paths: ["/data/**"], authenticated: true, claims: { scope: read } }
            """);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    [Theory]
    [InlineData("GET", "/public/page", null, 200)]
    [InlineData("POST", "/public/page", null, 403)]
    [InlineData("GET", "/public/maintenance/x", null, 403)]
    [InlineData("GET", "/internal/metrics", null, 200)]
    [InlineData("GET", "/admin", "admin", 200)]
    [InlineData("DELETE", "/admin/users/1", "ops", 200)]
    [InlineData("GET", "/admin/users", "reader", 403)]
    [InlineData("GET", "/admin/users", null, 403)]
    [InlineData("GET", "/data/1", "reader", 200)]
    [InlineData("PUT", "/data/1", "reader", 403)]
    [InlineData("GET", "/data/1", null, 403)]
    [InlineData("GET", "/other", "admin", 403)]
    public async Task Rules_FirstMatchDecides_DefaultDeny(string method, string path, string? role, int expected)
    {
        using var client = _proxy.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (role is not null)
        {
            var claims = new Dictionary<string, object> { ["sub"] = "u", ["role"] = role, ["scope"] = role == "reader" ? "read list" : "all" };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _issuer.Create(_issuer.Ec, claims: claims));
        }

        using var response = await client.SendAsync(request);
        Assert.Equal(expected, (int)response.StatusCode);
        if (expected == 403)
        {
            Assert.StartsWith($"403 forbidden: {method} {path} on route '", await response.Content.ReadAsStringAsync());
        }
    }
}
