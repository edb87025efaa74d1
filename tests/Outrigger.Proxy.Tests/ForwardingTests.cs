using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests;

public sealed class ForwardingTests
{
    [Fact]
    public async Task Get_SpecShapedService_ForwardsWithProxyHeaders()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            upstream:
              services:
                api:
                  endpoints: [{{upstream.Endpoint()}}]
            """);
        using var client = proxy.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/some/path?q=1&x=%2F");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.0.0.1");
        request.Headers.TryAddWithoutValidation("X-Custom", "kept");

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a", response.Headers.GetValues("x-upstream").Single());
        Assert.StartsWith("GET /some/path?q=1&x=%2F HTTP/1.1\n", body);
        Assert.Contains("x-forwarded-for: 10.0.0.1, 127.0.0.1\n", body);
        Assert.Contains("x-forwarded-proto: http\n", body);
        Assert.Contains($"x-forwarded-host: 127.0.0.1:{proxy.Port}\n", body);
        Assert.Contains("via: 1.1 outrigger\n", body);
        Assert.Matches("x-request-id: [0-9a-f]{32}\n", body);
        Assert.Contains("x-custom: kept\n", body);
        Assert.Contains($"host: 127.0.0.1:{upstream.Port}\n", body);
        Assert.Contains("1.1 outrigger", response.Headers.Via.ToString());
    }

    [Fact]
    public async Task Get_HopByHopHeadersFromCurl_AreNotForwarded()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            upstream:
              services:
                api:
                  endpoints: [{{upstream.Endpoint()}}]
            """);

        var (exit, body, error) = await Curl.RunAsync(
            "-H", "Connection: X-Hop", "-H", "X-Hop: must not pass", "-H", "Keep-Alive: timeout=5",
            "-H", "Proxy-Authorization: Basic Zm9vOmJhcg==", "-H", "TE: gzip", "-H", "X-Kept: yes", $"{proxy.BaseAddress}headers");

        Assert.True(exit == 0, error);
        Assert.Contains("x-kept: yes\n", body);
        Assert.DoesNotContain("x-hop", body);
        Assert.DoesNotContain("keep-alive", body);
        Assert.DoesNotContain("proxy-authorization", body);
        Assert.DoesNotContain("te: ", body);
    }

    [Fact]
    public async Task Get_NoServicesConfigured_Answers404NamingTheRequest()
    {
        await using var proxy = await ProxyHost.StartAsync("proxy: {}");
        using var client = proxy.CreateClient();

        using var response = await client.GetAsync("/missing/thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains($"no route matches GET 127.0.0.1:{proxy.Port}/missing/thing", body);
        Assert.Contains("no services are configured", body);
    }

    [Fact]
    public async Task Get_EndpointRefusesConnections_Answers502NamingEndpoint()
    {
        var port = FreePort();
        await using var proxy = await ProxyHost.StartAsync($$"""
            upstream:
              services:
                api:
                  endpoints: [{ address: "127.0.0.1", port: {{port}} }]
            """);
        using var client = proxy.CreateClient();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith($"502 upstream connect error: 127.0.0.1:{port} (api):", body);
    }

    [Fact]
    public async Task Post_ChunkedBody_StreamsToUpstreamAndBack()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            upstream:
              services:
                api:
                  endpoints: [{{upstream.Endpoint()}}]
            """);
        using var client = proxy.CreateClient();
        var payload = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("0123456789", 100_000)));
        using var content = new StreamContent(new MemoryStream(payload));
        content.Headers.ContentType = new("application/octet-stream");

        using var response = await client.PostAsync("/echo", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(payload, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Post_ExpectContinue_UpstreamAccepts_ClientGets100ThenResponse()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Http2Tests.Service(upstream));
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, new byte[300_000]);
        try
        {
            var (exit, output, error) = await Curl.RunAsync("-v", "-H", "Expect: 100-continue", "--data-binary", "@" + file, $"{proxy.BaseAddress}headers");

            Assert.True(exit == 0, error);
            Assert.Contains("< HTTP/1.1 100 Continue", error);
            Assert.Contains("body-length: 300000\n", output);
            Assert.Contains("expect: 100-continue", output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Post_ExpectContinue_UpstreamAnswersFirst_NoContinueAndBodyNotRead()
    {
        await using var upstream = await TestUpstream.StartAsync("a", handler: context =>
        {
            context.Response.StatusCode = 401;
            return Task.CompletedTask;
        });
        await using var proxy = await ProxyHost.StartAsync(Http2Tests.Service(upstream));
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, new byte[300_000]);
        try
        {
            var (exit, _, error) = await Curl.RunAsync("-v", "-H", "Expect: 100-continue", "--data-binary", "@" + file, $"{proxy.BaseAddress}upload");

            Assert.True(exit == 0, error);
            Assert.DoesNotContain("100 Continue", error);
            Assert.Contains("< HTTP/1.1 401", error);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Get_UpstreamTooSlow_Answers504NamingTimeout()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                api: { endpoints: [{{upstream.Endpoint()}}] }
              routes:
                - { cluster: api, timeout_ms: 200 }
            """);
        using var client = proxy.CreateClient();

        using var response = await client.GetAsync("/slow/10000");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.StartsWith($"504 upstream timeout: 127.0.0.1:{upstream.Port} (api) sent no response headers within 200 ms", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_ClientDisconnects_UpstreamRequestIsCancelled()
    {
        var received = new TaskCompletionSource();
        var cancelled = new TaskCompletionSource();
        await using var upstream = await TestUpstream.StartAsync("a", handler: async context =>
        {
            context.RequestAborted.Register(() => cancelled.TrySetResult());
            await context.Response.WriteAsync("started");
            await context.Response.Body.FlushAsync();
            received.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        await using var proxy = await ProxyHost.StartAsync(Http2Tests.Service(upstream));
        using var client = proxy.CreateClient();
        using var cts = new CancellationTokenSource();

        var response = await client.GetAsync("/forever", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        response.Dispose();
        client.Dispose();

        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(cancelled.Task.IsCompletedSuccessfully);
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
