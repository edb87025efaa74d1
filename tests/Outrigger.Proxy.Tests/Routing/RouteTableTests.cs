using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Routing;

public sealed class RouteTableTests
{
    private const string Clusters = """
          clusters:
            api: { endpoints: [{ address: 10.0.0.1, port: 80 }] }
            web: { endpoints: [{ address: 10.0.0.2, port: 80 }] }
        """;

    [Theory]
    [InlineData("GET", "api.example.com", "/anything", "by-host")]
    [InlineData("GET", "x.internal.example.com", "/", "wildcard")]
    [InlineData("GET", "internal.example.com", "/", "fallback")]
    [InlineData("POST", "h", "/api", "prefix")]
    [InlineData("POST", "h", "/api/users", "prefix")]
    [InlineData("POST", "h", "/apix", "fallback")]
    [InlineData("GET", "h", "/api/users", "fallback")]
    [InlineData("GET", "h", "/exact", "exact")]
    [InlineData("GET", "h", "/exact/more", "fallback")]
    [InlineData("GET", "h", "/users/42/orders/7/items", "template")]
    [InlineData("GET", "h", "/users/42", "fallback")]
    public void Match_Conditions_FirstMatchingRouteInOrderWins(string method, string host, string path, string expected)
    {
        var table = Table("""
              routes:
                - { name: by-host, cluster: api, match: { hosts: [api.example.com] } }
                - { name: wildcard, cluster: api, match: { hosts: ["*.internal.example.com"] } }
                - { name: prefix, cluster: api, match: { path_prefix: /api/, methods: [POST] } }
                - { name: exact, cluster: api, match: { path: /exact } }
                - { name: template, cluster: api, match: { path_template: "/users/{id}/orders/{**rest}" } }
                - { name: fallback, cluster: web }
            """);

        var route = table.Match(Request(method, host, path), out _);

        Assert.Equal(expected, route?.Name);
    }

    [Theory]
    [InlineData("x-env: canary", "", "canary")]
    [InlineData("x-env: CANARY", "", "canary")]
    [InlineData("", "beta=1", "beta")]
    [InlineData("x-debug: 1", "", "no-debug-absent")]
    [InlineData("", "", "none")]
    public void Match_HeaderAndQueryConditions(string header, string query, string expected)
    {
        var table = Table("""
              routes:
                - { name: canary, cluster: api, match: { headers: [{ name: x-env, value: canary }] } }
                - { name: beta, cluster: api, match: { query: [{ name: beta, value: "1" }] } }
                - { name: no-debug-absent, cluster: api, match: { headers: [{ name: x-debug, mode: present }] } }
                - { name: none, cluster: web, match: { headers: [{ name: x-debug, mode: absent }] } }
            """);
        var request = Request("GET", "h", "/");
        if (header.Length > 0)
        {
            var parts = header.Split(": ");
            request.Headers[parts[0]] = parts[1];
        }

        request.QueryString = query.Length > 0 ? new QueryString("?" + query) : default;

        Assert.Equal(expected, table.Match(request, out _)?.Name);
    }

    [Theory]
    [InlineData("{ path_prefix: /api }", "{ strip_prefix: /api }", "/api/users/1", "/users/1")]
    [InlineData("{ path_prefix: /api }", "{ strip_prefix: /api }", "/api", "/")]
    [InlineData("{ path_prefix: /api }", "{ strip_prefix: /api, add_prefix: /v2 }", "/api/users", "/v2/users")]
    [InlineData("{ path_template: \"/u/{id}/{**rest}\" }", "{ rewrite: \"/users/{id}/x/{rest}\" }", "/u/42/a/b", "/users/42/x/a/b")]
    public void TransformPath_StripAddRewrite(string match, string transforms, string path, string expected)
    {
        var table = Table($$"""
              routes:
                - { cluster: api, match: {{match}}, transforms: {{transforms}} }
            """);

        var route = table.Match(Request("GET", "h", path), out var values)!;

        Assert.Equal(expected, route.TransformPath(path, values));
    }

    [Fact]
    public void Implicit_SpecServices_RouteByHostNameThenNothing()
    {
        var options = TestConfig.Read("""
            upstream:
              services:
                users: { endpoints: [{ address: 10.0.0.1, port: 80 }] }
                orders: { endpoints: [{ address: 10.0.0.2, port: 80 }] }
            """);
        var table = new RouteTable(options.Routes, options.Clusters.ToDictionary(c => c.Name, c => new ClusterState(c, TimeProvider.System)));

        Assert.Equal("service:orders", table.Match(Request("GET", "orders", "/x"), out _)?.Name);
        Assert.Equal("service:users", table.Match(Request("GET", "USERS", "/x"), out _)?.Name);
        Assert.Null(table.Match(Request("GET", "other", "/x"), out _));
    }

    private static RouteTable Table(string routes)
    {
        var options = TestConfig.Read("proxy:\n" + Clusters + "\n" + routes);
        return new RouteTable(options.Routes, options.Clusters.ToDictionary(c => c.Name, c => new ClusterState(c, TimeProvider.System)));
    }

    private static HttpRequest Request(string method, string host, string path)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Host = new HostString(host);
        context.Request.Path = path;
        return context.Request;
    }
}
