using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests;

public sealed class Http2Tests
{
    [Fact]
    public async Task Get_PriorKnowledgeH2cClient_SameCleartextPortServesHttp2()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var h2 = proxy.CreateClient(HttpVersion.Version20);
        using var h1 = proxy.CreateClient(HttpVersion.Version11);

        using var response2 = await h2.GetAsync("/headers");
        using var response1 = await h1.GetAsync("/headers");
        var body = await response2.Content.ReadAsStringAsync();

        Assert.Equal(HttpVersion.Version20, response2.Version);
        Assert.Equal(HttpVersion.Version11, response1.Version);
        Assert.Equal(HttpStatusCode.OK, response1.StatusCode);
        Assert.Contains("via: 2 outrigger\n", body);
        Assert.Contains("x-forwarded-proto: http\n", body);
        Assert.StartsWith("GET /headers HTTP/1.1\n", body);
    }

    [Fact]
    public async Task Get_Http2Upstream_TrailersReachHttp2Client()
    {
        await using var upstream = await TestUpstream.StartAsync("a", HttpProtocols.Http2);
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                h2: { protocol: http2, endpoints: [{{upstream.Endpoint()}}] }
              routes:
                - { cluster: h2 }
            """);
        using var client = proxy.CreateClient(HttpVersion.Version20);

        using var response = await client.GetAsync("/trailers");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal("body", body);
        Assert.Equal("yes", response.TrailingHeaders.GetValues("x-trailer").Single());
    }

    [Fact]
    public async Task Get_H2load_AllRequestsSucceed()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));

        var (exit, output, error) = await Tool.RunAsync("h2load", "-n", "200", "-c", "4", "-m", "8", $"{proxy.BaseAddress}bytes/2048");

        Assert.True(exit == 0, error + output);
        Assert.Contains("200 succeeded, 0 failed, 0 errored", output);
        Assert.Contains("200 2xx", output);
    }

    internal static string Service(TestUpstream upstream) => $$"""
        upstream:
          services:
            api:
              endpoints: [{{upstream.Endpoint()}}]
        """;
}
