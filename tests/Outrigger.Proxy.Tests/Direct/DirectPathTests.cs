using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Outrigger.Proxy.Tests.Infrastructure;
using Xunit;

namespace Outrigger.Proxy.Tests.Direct;

/// <summary>The direct HTTP/1.1 path through real sockets: pipelining, raw chunked passthrough, hand-off to Kestrel mid-connection.</summary>
public class DirectPathTests
{
    [Fact]
    public async Task Pipelined_TwoRequestsInOneWrite_BothAnsweredInOrder()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var connection = await RawHttp.ConnectAsync(proxy.Port);

        await connection.SendAsync("GET /status/201 HTTP/1.1\r\nHost: x\r\n\r\nGET /status/202 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var (text, closed) = await connection.ReceiveAsync(TimeSpan.FromSeconds(10));

        Assert.True(closed, "Connection: close on the second request closes the connection after it");
        var first = text.IndexOf("HTTP/1.1 201", StringComparison.Ordinal);
        var second = text.IndexOf("HTTP/1.1 202", StringComparison.Ordinal);
        Assert.True(first >= 0 && second > first, text);
        Assert.Contains("status 202 from a", text);
    }

    [Fact]
    public async Task ChunkedUpload_WithTrailers_PassesThroughToUpstream()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var connection = await RawHttp.ConnectAsync(proxy.Port);

        await connection.SendAsync("POST /request-trailers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nabcd\r\n");
        await Task.Delay(100);
        await connection.SendAsync("6\r\nefghij\r\n0\r\nx-check: ok\r\n\r\n");
        var (text, _) = await connection.ReceiveAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 200", text);
        Assert.Contains("body 10; x-check=ok", text);
    }

    [Fact]
    public async Task InvalidChunkedBody_Answers400AndCloses()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var connection = await RawHttp.ConnectAsync(proxy.Port);

        await connection.SendAsync("POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
        var (text, closed) = await connection.ReceiveAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 400", text);
        Assert.Contains("invalid chunked framing", text);
        Assert.True(closed);
    }

    [Fact]
    public async Task HandOff_RequestKestrelMustServe_LaterOnSameConnection_BothAnswered()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var connection = await RawHttp.ConnectAsync(proxy.Port);

        // The second target is percent-encoded: the direct path leaves decoding to Kestrel and hands the connection over.
        await connection.SendAsync("GET /status/201 HTTP/1.1\r\nHost: x\r\n\r\nGET /status/20%32 HTTP/1.1\r\nHost: x\r\n\r\nGET /status/203 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var (text, closed) = await connection.ReceiveAsync(TimeSpan.FromSeconds(10));

        Assert.True(closed);
        var first = text.IndexOf("HTTP/1.1 201", StringComparison.Ordinal);
        var second = text.IndexOf("HTTP/1.1 202", StringComparison.Ordinal);
        var third = text.IndexOf("HTTP/1.1 203", StringComparison.Ordinal);
        Assert.True(first >= 0 && second > first && third > second, text);
    }

    [Fact]
    public async Task PriorKnowledgeHttp2_HandedToKestrel()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var client = proxy.CreateClient(HttpVersion.Version20);

        using var response = await client.GetAsync("/status/201");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
    }

    [Fact]
    public async Task DirectPathOff_KestrelServesEverything()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync("proxy:\n  direct_path: false\n" + Service(upstream));
        using var client = proxy.CreateClient();

        using var response = await client.GetAsync("/status/201");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("status 201 from a", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Head_ResponseWithLengthButNoBody_ConnectionStaysUsable()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var client = proxy.CreateClient();

        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/bytes/5000"));
        using var get = await client.GetAsync("/bytes/5000");

        Assert.Equal(5000, head.Content.Headers.ContentLength);
        Assert.Equal(5000, (await get.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task UpstreamResponseWithoutLength_ForwardedUntilCloseAndClientConnectionClosed()
    {
        await using var upstream = new RawUpstream(_ => ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", true));
        await using var proxy = await ProxyHost.StartAsync(Service(upstream.Endpoint()));
        using var connection = await RawHttp.ConnectAsync(proxy.Port);

        await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        var (text, closed) = await connection.ReceiveAsync(TimeSpan.FromSeconds(10));

        Assert.True(closed);
        Assert.StartsWith("HTTP/1.1 200", text);
        Assert.Contains("Connection: close", text);
        Assert.EndsWith("until the end", text);
    }

    [Fact]
    public async Task UpstreamClosesKeptConnection_NextRequestResentOnNewConnection()
    {
        // Answers with keep-alive, then closes without saying so: the proxy's pooled connection is dead when reused.
        await using var upstream = new RawUpstream(n => ($"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n{n}", true));
        await using var proxy = await ProxyHost.StartAsync(Service(upstream.Endpoint()));
        using var client = proxy.CreateClient();

        var first = await client.GetStringAsync("/");
        await Task.Delay(300); // past the pool's trust window, and the close has arrived
        var second = await client.GetStringAsync("/");

        Assert.Equal("1", first);
        Assert.Equal("2", second);
        Assert.Equal(2, upstream.Connections);
    }

    [Fact]
    public async Task UpstreamInvalidResponse_Answers502NamingTheCause()
    {
        await using var upstream = new RawUpstream(_ => ("NOT HTTP AT ALL\r\n\r\n", true));
        await using var proxy = await ProxyHost.StartAsync(Service(upstream.Endpoint()));
        using var client = proxy.CreateClient();

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("malformed status line", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ForwardedHeaders_AppendToTheClientsLists()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var client = proxy.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/headers");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.1.2.3");
        request.Headers.TryAddWithoutValidation("Via", "1.1 edge");
        request.Headers.TryAddWithoutValidation("Connection", "x-secret");
        request.Headers.TryAddWithoutValidation("x-secret", "hop");

        using var response = await client.SendAsync(request);
        var seen = await response.Content.ReadAsStringAsync();

        Assert.Contains("x-forwarded-for: 10.1.2.3, 127.0.0.1\n", seen);
        Assert.Contains("via: 1.1 edge, 1.1 outrigger\n", seen);
        Assert.Contains("x-forwarded-proto: http\n", seen);
        Assert.Contains("x-request-id: ", seen);
        Assert.Contains("traceparent: 00-", seen);
        Assert.DoesNotContain("x-secret", seen);
        Assert.Contains("1.1 outrigger", response.Headers.Via.ToString());
    }

    [Fact]
    public async Task RouteTimeout_OnAKeptAliveConnection_CountsFromEachRequest()
    {
        using var metrics = new MetricsCapture();
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                direct-timeout: { endpoints: [{{upstream.Endpoint()}}] }
              routes:
                - { cluster: direct-timeout, timeout_ms: 1000 }
            """);
        using var client = proxy.CreateClient();
        // A quick request arms the connection's timer for its deadline; the slow one half a timeout later must still get
        // its own full second (the timer fires early for it and moves to its deadline).
        for (var i = 0; i < 2; i++)
        {
            using var quick = await client.GetAsync("/status/200");
            Assert.Equal(HttpStatusCode.OK, quick.StatusCode);
        }

        await Task.Delay(500);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var slow = await client.GetAsync("/slow/10000"))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, slow.StatusCode);
            Assert.InRange(clock.ElapsedMilliseconds, 950, 8000);
        }

        using var after = await client.GetAsync("/status/200");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        clock.Restart();
        using var slowAgain = await client.GetAsync("/slow/10000");
        Assert.Equal(HttpStatusCode.GatewayTimeout, slowAgain.StatusCode);
        Assert.InRange(clock.ElapsedMilliseconds, 950, 8000);
        Assert.Equal(2, await metrics.WaitForAsync("upstream_rq_timeout_total", "direct-timeout", 2));
    }


    [Fact]
    public async Task MaxConnections_CountsConnectionsHandedToKestrelUntilTheyClose()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync("proxy: { limits: { max_connections: 2 } }\n" + Service(upstream));
        using var direct = await RawHttp.ConnectAsync(proxy.Port);
        await direct.SendAsync("GET /status/201 HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Contains("status 201 from a", await direct.ReceiveUntilAsync("from a"));
        var kestrel = await RawHttp.ConnectAsync(proxy.Port);
        await kestrel.SendAsync("GET /status/20%32 HTTP/1.1\r\nHost: x\r\n\r\n"); // percent-encoded: handed to Kestrel
        Assert.Contains("status 202 from a", await kestrel.ReceiveUntilAsync("from a"));

        using (var third = await RawHttp.ConnectAsync(proxy.Port))
        {
            await third.SendAsync("GET /status/203 HTTP/1.1\r\nHost: x\r\n\r\n");
            var (text, closed) = await third.ReceiveAsync(TimeSpan.FromSeconds(10));
            Assert.True(closed && text.Length == 0, $"a third connection is refused while two are open: '{text}'");
        }

        kestrel.Dispose();
        var served = "";
        for (var attempt = 0; attempt < 50 && !served.Contains("HTTP/1.1 204", StringComparison.Ordinal); attempt++)
        {
            await Task.Delay(100);
            using var next = await RawHttp.ConnectAsync(proxy.Port);
            await next.SendAsync("GET /status/204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            served = (await next.ReceiveAsync(TimeSpan.FromSeconds(10))).Text;
        }

        Assert.Contains("HTTP/1.1 204", served);
    }

    private static string Service(TestUpstream upstream) => Service(upstream.Endpoint());

    private static string Service(string endpoint) => $$"""
        upstream:
          services:
            api: { endpoints: [{{endpoint}}] }
        """;
}
