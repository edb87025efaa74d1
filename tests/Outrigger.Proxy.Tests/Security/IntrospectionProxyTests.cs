using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Core.Hosting;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Security;

/// <summary>OAuth2 token introspection (RFC 7662) against an authorization server on a real socket.</summary>
public sealed class IntrospectionProxyTests
{
    [Fact]
    public async Task Introspection_ActiveTokenAcceptedAndCached_InactiveRejected_ServerChecksClientCredentials()
    {
        var calls = 0;
        string? seenAuthorization = null;
        await using var server = await HttpServer.StartAsync([new ListenEndpoint(new IPEndPoint(IPAddress.Loopback, 0))], async context =>
        {
            Interlocked.Increment(ref calls);
            seenAuthorization = context.Request.Headers.Authorization;
            var form = await context.Request.ReadFormAsync();
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(form["token"] == "opaque-good"
                ? """{"active":true,"sub":"svc-42","scope":"read write","client_id":"web","exp":4102444800}"""
                : """{"active":false}""");
        }, NullLoggerFactory.Instance);
        await using var upstream = await FaultUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            upstream:
              services:
                introspect: { endpoints: [{{upstream.Endpoint()}}] }
            security:
              authentication:
                oauth2:
                  introspection_url: http://127.0.0.1:{{server.EndPoints[0].Port}}/introspect
                  client_id: proxy
                  client_secret: s3cret
              authorization:
                rules:
                  - { name: writers, claims: { scope: write } }
            """);
        using var client = proxy.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            using var ok = await SendAsync(client, "opaque-good");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        Assert.Equal(1, calls);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("proxy:s3cret")), seenAuthorization);
        using var inactive = await SendAsync(client, "opaque-revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, inactive.StatusCode);
        Assert.Contains("error_description=\"the token is not active\"", inactive.Headers.WwwAuthenticate.ToString());
        Assert.Equal(3, upstream.Requests);
    }

    [Fact]
    public async Task Introspection_ServerDown_503NotAFalse401()
    {
        await using var upstream = await FaultUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            upstream:
              services:
                introspect-down: { endpoints: [{{upstream.Endpoint()}}] }
            security:
              authentication:
                oauth2: { introspection_url: "http://127.0.0.1:{{FaultUpstream.ClosedPort()}}/introspect" }
            """);
        using var client = proxy.CreateClient();
        using var response = await SendAsync(client, "opaque");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("authentication unavailable", await response.Content.ReadAsStringAsync());
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }
}
