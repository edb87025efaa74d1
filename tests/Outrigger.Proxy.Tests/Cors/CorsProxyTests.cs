using System.Net;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Cors;

/// <summary>CORS per route through real HTTP: preflights answered by the proxy, headers on actual responses.</summary>
public sealed class CorsProxyTests : IAsyncLifetime
{
    private FaultUpstream _upstream = null!;
    private ProxyHost _proxy = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FaultUpstream.StartAsync("a");
        _proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                cors: { endpoints: [{{_upstream.Endpoint()}}] }
              routes:
                - name: app
                  cluster: cors
                  match: { path_prefix: /app, methods: [GET, PUT] }
                  cors:
                    allowed_origins: ["https://app.example.com", "https://*.tenants.example.com"]
                    allowed_methods: [GET]
                    allowed_headers: [authorization, content-type, x-trace]
                    exposed_headers: [x-upstream]
                    allow_credentials: true
                    max_age_seconds: 120
                - { name: closed, cluster: cors, match: { path_prefix: /closed }, cors: { enabled: false } }
                - { name: rest, cluster: cors }
            security:
              authentication:
                jwt: { secret: "0123456789abcdef0123456789abcdef" }
              cors:
                allowed_origins: ["*"]
            """);
        _client = _proxy.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Preflight_AllowedOriginMethodAndHeaders_204FromTheProxyWithoutCredentials()
    {
        using var response = await PreflightAsync("/app/items", "https://app.example.com", "GET", "Content-Type, X-Trace");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://app.example.com", Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
        Assert.Equal("GET", Header(response, "Access-Control-Allow-Methods"));
        Assert.Equal("authorization, content-type, x-trace", Header(response, "Access-Control-Allow-Headers"));
        Assert.Equal("120", Header(response, "Access-Control-Max-Age"));
        Assert.Equal(0, _upstream.Requests);
    }

    [Theory]
    [InlineData("https://evil.example.com", "GET", "", "origin 'https://evil.example.com' is not allowed")]
    [InlineData("https://app.example.com", "PUT", "", "method 'PUT' is not allowed")]
    [InlineData("https://app.example.com", "GET", "x-secret", "header 'x-secret' is not allowed")]
    public async Task Preflight_NotAllowed_403NamingWhat(string origin, string method, string headers, string problem)
    {
        using var response = await PreflightAsync("/app/items", origin, method, headers);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Contains(problem, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ActualRequest_WildcardSubdomain_OriginEchoedOverridingTheUpstream_AndOnTheProxysOwn401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/app/items");
        request.Headers.Add("Origin", "https://acme.tenants.example.com");
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("https://acme.tenants.example.com", Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("x-upstream", Header(response, "Access-Control-Expose-Headers"));
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task GlobalCors_AppliesToRoutesWithoutTheirOwn_RouteCanTurnItOff()
    {
        using (var preflight = await PreflightAsync("/anything", "https://any.site", "POST", ""))
        {
            Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
            Assert.Equal("*", Header(preflight, "Access-Control-Allow-Origin"));
        }

        using var closed = await PreflightAsync("/closed", "https://any.site", "GET", "");
        Assert.Equal(HttpStatusCode.Unauthorized, closed.StatusCode);
        Assert.False(closed.Headers.Contains("Access-Control-Allow-Origin"));
    }

    private async Task<HttpResponseMessage> PreflightAsync(string path, string origin, string method, string headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        if (headers.Length > 0)
        {
            request.Headers.Add("Access-Control-Request-Headers", headers);
        }

        return await _client.SendAsync(request);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : response.Content.Headers.TryGetValues(name, out var content) ? string.Join(", ", content) : "";
}
