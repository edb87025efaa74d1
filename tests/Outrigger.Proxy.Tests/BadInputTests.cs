using System.Diagnostics;
using System.Net;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests;

/// <summary>Hostile or broken clients get the right 4xx or a closed connection, and the proxy keeps serving others.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private TestUpstream _upstream = null!;
    private ProxyHost _proxy = null!;

    public async Task InitializeAsync()
    {
        _upstream = await TestUpstream.StartAsync("a");
        _proxy = await ProxyHost.StartAsync($$"""
            proxy:
              limits:
                max_request_header_bytes: 4096
                max_request_body_bytes: 1048576
                request_headers_timeout_ms: 1000
                min_request_body_bytes_per_second: 1000
                min_request_body_grace_ms: 1500
            upstream:
              services:
                api: { endpoints: [{{_upstream.Endpoint()}}] }
            """);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task OversizedHeaders_Answers431_AndStillServes()
    {
        using var client = _proxy.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/headers");
        request.Headers.Add("x-big", new string('x', 8000));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        await AssertStillServes();
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n")]
    [InlineData("GARBAGE\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello")]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")]
    public async Task MalformedRequest_Answers400AndCloses(string raw)
    {
        using var connection = await RawHttp.ConnectAsync(_proxy.Port);

        await connection.SendAsync(raw);
        var (text, closed) = await connection.ReceiveAsync(TimeSpan.FromSeconds(5));

        Assert.StartsWith("HTTP/1.1 400", text);
        Assert.True(closed);
        await AssertStillServes();
    }

    [Fact]
    public async Task AbsurdContentLength_AboveBodyLimit_Answers413()
    {
        using var connection = await RawHttp.ConnectAsync(_proxy.Port);

        await connection.SendAsync("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\nabc");
        var (text, _) = await connection.ReceiveAsync(TimeSpan.FromSeconds(5));

        Assert.StartsWith("HTTP/1.1 413", text);
        await AssertStillServes();
    }

    [Fact]
    public async Task Slowloris_HeadersTrickleIn_ConnectionClosedWhileOthersAreServed()
    {
        using var connection = await RawHttp.ConnectAsync(_proxy.Port);
        var clock = Stopwatch.StartNew();
        await connection.SendAsync("GET /headers HTTP/1.1\r\nHost: x\r\n");
        var trickle = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < 40; i++)
                {
                    await Task.Delay(100);
                    await connection.SendAsync("X");
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Closed by the proxy: expected.
            }
        });

        await AssertStillServes();
        var (text, closed) = await connection.ReceiveAsync(TimeSpan.FromSeconds(6));

        Assert.True(closed, "the slow client's connection should be closed");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"closed after {clock.Elapsed}");
        Assert.DoesNotContain("200 OK", text);
        await trickle;
    }

    [Fact]
    public async Task SlowBody_BelowMinimumRate_RequestFailsAndOthersAreServed()
    {
        using var connection = await RawHttp.ConnectAsync(_proxy.Port);
        // /count answers only after the whole body (/echo would start a 200 response at once, before the body stalls).
        await connection.SendAsync("POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nsome bytes");

        var (text, closed) = await connection.ReceiveAsync(TimeSpan.FromSeconds(8));

        Assert.True(closed || text.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), $"expected 408 or close, got '{text}'");
        Assert.DoesNotContain("HTTP/1.1 200", text);
        await AssertStillServes();
    }

    private async Task AssertStillServes()
    {
        using var client = _proxy.CreateClient();
        using var response = await client.GetAsync("/headers");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
