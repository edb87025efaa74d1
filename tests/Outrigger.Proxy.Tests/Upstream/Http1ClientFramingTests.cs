using System.Text;
using Outrigger.Proxy.Tests.Infrastructure;
using Outrigger.Proxy.Upstream;
using static Outrigger.Proxy.Tests.Upstream.Http1Test;

namespace Outrigger.Proxy.Tests.Upstream;

/// <summary>
/// <see cref="Outrigger.Proxy.Upstream.Http1.Http1Client"/> against a raw TCP upstream: response framing, interim
/// responses, upgrades and everything malformed.
/// </summary>
public sealed class Http1ClientFramingTests
{
    [Fact]
    public async Task ReadAsync_BodyUntilClose_ReadsToTheEndAndDoesNotReuse()
    {
        await using var upstream = new RawUpstream(async (connection, _) =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ");
            await connection.WriteAsync("close");
        });
        using var client = Client(upstream.Port, UniqueCluster());

        var first = await client.GetTextAsync("/");
        var second = await client.GetTextAsync("/");

        Assert.Equal((200, "until close"), first);
        Assert.Equal((200, "until close"), second);
        Assert.Equal(2, upstream.Accepted);
    }

    [Fact]
    public async Task SendAsync_ConnectionCloseFromUpstream_ConnectionIsNotReused()
    {
        await using var upstream = Raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        using var client = Client(upstream.Port, UniqueCluster());

        await client.GetTextAsync("/");
        await client.GetTextAsync("/");

        Assert.Equal(2, upstream.Accepted);
        Assert.Equal(0, client.IdleCount);
    }

    [Theory]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 2)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok", 1)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, close\r\n\r\nok", 2)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 1)]
    public async Task SendAsync_KeepAliveRules_DecideReuse(string response, int connections)
    {
        await using var upstream = Raw(response);
        using var client = Client(upstream.Port, UniqueCluster());

        Assert.Equal((200, "ok"), await client.GetTextAsync("/"));
        Assert.Equal((200, "ok"), await client.GetTextAsync("/"));

        Assert.Equal(connections, upstream.Accepted);
    }

    [Fact]
    public async Task ReadAsync_HeadAnd204And304_HaveNoBodyDespiteContentLength()
    {
        await using var upstream = new RawUpstream(async (connection, _) =>
        {
            while (await connection.ReadHeadAsync() is { } head)
            {
                var status = head.StartsWith("HEAD", StringComparison.Ordinal) ? "200 OK" : head.Contains("/204", StringComparison.Ordinal) ? "204 No Content" : "304 Not Modified";
                await connection.WriteAsync($"HTTP/1.1 {status}\r\nContent-Length: 10\r\n\r\n");
            }
        });
        using var client = Client(upstream.Port, UniqueCluster());

        using (var head = await client.SendAsync(Get("/", "HEAD")))
        {
            Assert.Equal(200, head.StatusCode);
            Assert.Equal("10", head.Header("content-length"));
            Assert.Empty(await head.ReadBytesAsync());
        }

        Assert.Equal((204, ""), await client.GetTextAsync("/204"));
        Assert.Equal((304, ""), await client.GetTextAsync("/304"));
        Assert.Equal(1, upstream.Accepted);
    }

    [Fact]
    public async Task ReadAsync_ChunkedWithExtensionsTrailersAndBareLineFeeds_IsDechunkedAndReused()
    {
        await using var upstream = Raw(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1\r\n \r\n5\nworld\n0\r\nX-Sum: 42\r\nX-Other: a b\r\n\r\n");
        using var client = Client(upstream.Port, UniqueCluster());

        using (var response = await client.SendAsync(Get("/")))
        {
            Assert.Equal("hello world", await response.ReadTextAsync(bufferSize: 3));
            Assert.Equal([new("X-Sum", "42"), new("X-Other", "a b")], response.Trailers);
        }

        Assert.Equal((200, "hello world"), await client.GetTextAsync("/"));
        Assert.Equal(1, upstream.Accepted);
    }

    [Fact]
    public async Task ReadAsync_LastChunkAlreadyBuffered_ConnectionReusedWithoutReadingZero()
    {
        await using var upstream = Raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        using var client = Client(upstream.Port, UniqueCluster());

        using (var response = await client.SendAsync(Get("/")))
        {
            var buffer = new byte[2];
            Assert.Equal(2, await response.ReadAsync(buffer, CancellationToken.None));
        }

        Assert.Equal(1, client.IdleCount);
    }

    [Fact]
    public async Task SendAsync_InterimResponses_AreSkipped()
    {
        await using var upstream = Raw("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-Final: yes\r\n\r\nbody");
        using var client = Client(upstream.Port, UniqueCluster());

        using var response = await client.SendAsync(Get("/"));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("yes", response.Header("x-final"));
        Assert.Null(response.Header("link"));
        Assert.Equal("body", await response.ReadTextAsync());
    }

    [Fact]
    public async Task OpenTunnel_After101_DeliversBufferedBytesFirstThenEchoes()
    {
        string? requestHead = null;
        await using var upstream = new RawUpstream(async (connection, _) =>
        {
            requestHead = await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello ");
            var buffer = new byte[100];
            int read;
            while ((read = await connection.Socket.ReceiveAsync(buffer)) > 0)
            {
                await connection.Socket.SendAsync(buffer.AsMemory(0, read));
            }
        });
        using var client = Client(upstream.Port, UniqueCluster());
        var request = Get("/chat");
        request.Upgrade = true;
        request.Add("Upgrade", "echo");

        using var response = await client.SendAsync(request);
        await using var tunnel = response.OpenTunnel();
        var buffer = new byte[100];
        var greeting = Encoding.ASCII.GetString(buffer, 0, await tunnel.ReadAsync(buffer).AsTask().WaitAsync(Guard));
        await tunnel.WriteAsync("ping"u8.ToArray());
        var echo = Encoding.ASCII.GetString(buffer, 0, await tunnel.ReadAsync(buffer).AsTask().WaitAsync(Guard));

        Assert.Equal(101, response.StatusCode);
        Assert.Equal("hello ", greeting);
        Assert.Equal("ping", echo);
        Assert.Contains("\r\nConnection: Upgrade\r\n", requestHead, StringComparison.Ordinal);
        Assert.Contains("\r\nUpgrade: echo\r\n", requestHead, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_101WithoutUpgradeRequest_ThrowsExchangeError()
    {
        await using var upstream = Raw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n\r\n");
        using var client = Client(upstream.Port, UniqueCluster());

        var error = await Assert.ThrowsAsync<UpstreamException>(() => client.SendAsync(Get("/")));

        Assert.Contains("101", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HTTP/1.1 2OO OK\r\n\r\n", "malformed status line: 'HTTP/1.1 2OO OK'")]
    [InlineData("HTTP/2.0 200 OK\r\n\r\n", "malformed status line")]
    [InlineData("hello\r\n\r\n", "malformed status line: 'hello'")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line: 'no colon here'")]
    [InlineData("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "malformed header line")]
    [InlineData("HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n", "folded header line")]
    [InlineData("HTTP/1.1 200 OK\r\nA: x\u0001y\r\n\r\n", "control characters")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", "both Transfer-Encoding and Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", "more than one Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length '-1'")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1,1\r\n\r\n", "invalid Content-Length '1,1'")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding 'gzip'")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Le", "closed the connection in the middle of the response head")]
    [InlineData("", "upstream closed the connection before sending a response")]
    public async Task SendAsync_MalformedResponseHead_ThrowsExchangeErrorNamingIt(string response, string expected)
    {
        await using var upstream = new RawUpstream(async (connection, _) =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync(response);
        });
        using var client = Client(upstream.Port, UniqueCluster());

        var error = await Assert.ThrowsAsync<UpstreamException>(() => client.SendAsync(Get("/")));

        Assert.Equal(UpstreamFailure.Exchange, error.Kind);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_MalformedResponseWhileTheBodyIsStillStreaming_NamesTheResponseNotTheBody()
    {
        await using var upstream = new RawUpstream(async (connection, _) =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync("garbage\r\n\r\n");
            await connection.ReadToEndAsync();
        });
        using var client = Client(upstream.Port, UniqueCluster());
        var body = new WaitingBody();
        var request = Get("/", "POST");
        request.Body = body;

        var error = await Assert.ThrowsAsync<UpstreamException>(() => client.SendAsync(request));

        Assert.Contains("malformed status line: 'garbage'", error.Message, StringComparison.Ordinal);
        await body.WhenEnded.WaitAsync(Guard);
    }

    [Fact]
    public async Task SendAsync_HeadOverTheLimit_ThrowsExchangeError()
    {
        await using var upstream = Raw("HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 70 * 1024) + "\r\nContent-Length: 0\r\n\r\n");
        using var client = Client(upstream.Port, UniqueCluster());

        var error = await Assert.ThrowsAsync<UpstreamException>(() => client.SendAsync(Get("/")));

        Assert.Equal(UpstreamFailure.Exchange, error.Kind);
        Assert.Contains("larger than 65536 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_HeadLargerThanTheReadBuffer_IsParsed()
    {
        var big = new string('b', 40 * 1024);
        await using var upstream = Raw($"HTTP/1.1 200 OK\r\nX-Big: {big}\r\nContent-Length: 2\r\n\r\nok");
        using var client = Client(upstream.Port, UniqueCluster());

        using var response = await client.SendAsync(Get("/"));

        Assert.Equal(big, response.Header("x-big"));
        Assert.Equal("ok", await response.ReadTextAsync());
    }

    [Theory]
    [InlineData("zz\r\nhello\r\n0\r\n\r\n", "bad chunk size: 'zz'")]
    [InlineData("5 x\r\nhello\r\n0\r\n\r\n", "bad chunk size")]
    [InlineData("fffffffffffffffff\r\n", "chunk size that is too large")]
    [InlineData("2\r\nhello\r\n0\r\n\r\n", "chunk data longer than its chunk size")]
    [InlineData("5\r\nhel", "in the middle of a chunked response body")]
    public async Task ReadAsync_BrokenChunkedBody_ThrowsExchangeError(string body, string expected)
    {
        await using var upstream = new RawUpstream(async (connection, _) =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
        });
        using var client = Client(upstream.Port, UniqueCluster());

        using var response = await client.SendAsync(Get("/"));
        var error = await Assert.ThrowsAsync<UpstreamException>(() => response.ReadBytesAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_ShortContentLengthBody_ThrowsExchangeError()
    {
        await using var upstream = new RawUpstream(async (connection, _) =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        });
        using var client = Client(upstream.Port, UniqueCluster());

        using var response = await client.SendAsync(Get("/"));
        var error = await Assert.ThrowsAsync<UpstreamException>(() => response.ReadBytesAsync());

        Assert.Contains("7 bytes before the end of the response body", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_ReusedConnectionClosedByUpstream_IsResentOnANewConnection()
    {
        var heads = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var upstream = new RawUpstream(async (connection, index) =>
        {
            for (var i = 0; await connection.ReadHeadAsync() is { } head; i++)
            {
                heads.Enqueue(head);
                if (index == 0 && i == 1)
                {
                    return; // closes as the upstream's idle timeout would, just as the request arrives
                }

                var body = head.Contains("Content-Length: 4", StringComparison.Ordinal) ? await connection.ReadBytesAsync(4) : "";
                await connection.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length + 2}\r\n\r\nok{body}");
            }
        });
        using var client = Client(upstream.Port, UniqueCluster());
        Assert.Equal((200, "ok"), await client.GetTextAsync("/first"));
        var request = Get("/second", "POST");
        var body = new BufferedBody("data"u8.ToArray());
        request.Body = body;

        using var response = await client.SendAsync(request);

        Assert.Equal("okdata", await response.ReadTextAsync());
        Assert.Equal(2, upstream.Accepted);
        Assert.Equal(3, heads.Count);
    }

    [Fact]
    public async Task SendAsync_ReusedConnectionClosedAfterAStreamedBodyStarted_IsNotResent()
    {
        await using var upstream = new RawUpstream(async (connection, index) =>
        {
            for (var i = 0; await connection.ReadHeadAsync() is not null; i++)
            {
                if (i == 1)
                {
                    return;
                }

                await connection.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        using var client = Client(upstream.Port, UniqueCluster());
        await client.GetTextAsync("/");
        var body = new StreamedBody();
        body.Write("x");
        var request = Get("/", "POST");
        request.Body = body;

        var error = await Assert.ThrowsAsync<UpstreamException>(() => client.SendAsync(request));

        Assert.True(body.Started);
        Assert.Equal(UpstreamFailure.Exchange, error.Kind);
        Assert.Equal(1, upstream.Accepted);
    }

    [Fact]
    public async Task SendAsync_CancelledWhileWaitingForHeaders_ThrowsAndClosesTheConnection()
    {
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = new RawUpstream(async (connection, _) =>
        {
            await connection.ReadHeadAsync();
            received.SetResult();
            await connection.ReadToEndAsync();
            closed.SetResult();
        });
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        using var client = Client(upstream.Port, cluster);
        using var cancel = new CancellationTokenSource();

        var sending = client.SendAsync(Get("/"), cancel.Token);
        await received.Task.WaitAsync(Guard);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(Guard));
        await closed.Task.WaitAsync(Guard);
        Assert.Equal(0, client.IdleCount);
        Assert.Equal(-1, metrics.Get("upstream_cx_active", cluster));
    }

    [Fact]
    public async Task SendAsync_RefusedPort_ThrowsConnectErrorNamingTheCause()
    {
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        var port = FaultUpstream.ClosedPort();
        using var client = Client(port, cluster);

        var error = await Assert.ThrowsAsync<UpstreamException>(() => client.SendAsync(Get("/")));

        Assert.Equal(UpstreamFailure.Connect, error.Kind);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("Connection refused", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Get("upstream_cx_connect_fail_total", cluster));
        Assert.Equal(0, metrics.Get("upstream_cx_total", cluster));
    }

    [Fact]
    public async Task SendAsync_HostName_IsResolved()
    {
        await using var upstream = Raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        using var client = Client(upstream.Port, UniqueCluster(), host: "localhost");

        Assert.Equal((200, "ok"), await client.GetTextAsync("/"));
    }

    [Theory]
    [InlineData("X-Evil", "a\r\nX-Injected: 1")]
    [InlineData("X-Evil", "a\nb")]
    [InlineData("X-Evil", "nul\0")]
    [InlineData("X-Evil", "wide \u0100")]
    [InlineData("Bad Name", "x")]
    [InlineData("Bad:Name", "x")]
    public async Task SendAsync_HeaderThatCannotBeSent_IsRefusedBeforeConnecting(string name, string value)
    {
        await using var upstream = Raw("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        using var client = Client(upstream.Port, UniqueCluster());
        var request = Get("/");
        request.Add(name, value);

        await Assert.ThrowsAsync<ArgumentException>(() => client.SendAsync(request));

        Assert.Equal(0, upstream.Accepted);
    }

    [Fact]
    public async Task SendAsync_RequestHead_IsWrittenAsSpecified()
    {
        string? received = null;
        await using var upstream = new RawUpstream(async (connection, _) =>
        {
            received = await connection.ReadHeadAsync();
            received += await connection.ReadBytesAsync(7);
            await connection.WriteAsync("HTTP/1.1 204 No Content\r\n\r\n");
        });
        using var client = Client(upstream.Port, UniqueCluster());
        var request = new UpstreamRequest("POST", "/p?a=1", "svc:81");
        request.Add("Cookie", new Microsoft.Extensions.Primitives.StringValues(["a=1", "b=2"]));
        request.Add("X-Latin", "caf\u00e9");
        request.Add("Content-Length", "999");
        request.Add("Host", "ignored");
        request.Body = new BufferedBody("payload"u8.ToArray());

        using var response = await client.SendAsync(request);

        Assert.Equal("POST /p?a=1 HTTP/1.1\r\nHost: svc:81\r\nCookie: a=1; b=2\r\nX-Latin: caf\u00e9\r\nContent-Length: 7\r\n\r\npayload", received);
    }

    [Fact]
    public async Task SendAsync_ExpectContinueWithoutAnswer_BodyIsSentAfterTheTimeout()
    {
        var time = new ManualTimeProvider();
        var headRead = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = new RawUpstream(async (connection, _) =>
        {
            headRead.SetResult((await connection.ReadHeadAsync())!);
            var body = await connection.ReadBytesAsync(4);
            await connection.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{body}");
        });
        using var client = Client(upstream.Port, UniqueCluster(), time: time, expectTimeout: TimeSpan.FromSeconds(1));
        var request = Get("/", "POST");
        request.ExpectContinue = true;
        request.Body = new BufferedBody("late"u8.ToArray());

        var sending = client.SendAsync(request, CancellationToken.None);
        var head = await headRead.Task.WaitAsync(Guard);
        while (time.PendingTimers == 0)
        {
            await Task.Yield();
        }

        time.Advance(TimeSpan.FromSeconds(1));
        using var response = await sending.WaitAsync(Guard);

        Assert.Contains("\r\nExpect: 100-continue\r\n", head, StringComparison.Ordinal);
        Assert.Equal("late", await response.ReadTextAsync());
    }

    [Fact]
    public async Task SendAsync_UpstreamAnswersBeforeTheBodyWasSent_ConnectionIsNotReused()
    {
        await using var upstream = Raw("HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        using var client = Client(upstream.Port, UniqueCluster());
        var body = new StreamedBody();
        body.Write("part of it");
        var request = Get("/", "POST");
        request.Body = body;

        using (var response = await client.SendAsync(request))
        {
            Assert.Equal(413, response.StatusCode);
            Assert.Empty(await response.ReadBytesAsync());
        }

        await body.WhenEnded.WaitAsync(Guard);
        Assert.Equal(0, client.IdleCount);
        Assert.Equal((413, ""), await client.GetTextAsync("/"));
        Assert.Equal(2, upstream.Accepted);
    }

    [Fact]
    public async Task SendAsync_KnownHeaderValuesChangeBetweenResponses_EachResponseHasItsOwn()
    {
        await using var upstream = Raw(
            "HTTP/1.1 200 OK\r\nContent-Type: text/a\r\nContent-Length: 1\r\n\r\na",
            "HTTP/1.1 200 OK\r\ncontent-type: text/b\r\nContent-Length: 1\r\n\r\nb",
            "HTTP/1.1 200 OK\r\nCONTENT-TYPE: text/b\r\nContent-Length: 1\r\n\r\nb");
        using var client = Client(upstream.Port, UniqueCluster());

        var types = new List<string?>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.SendAsync(Get("/"));
            types.Add(response.Header("Content-Type"));
            Assert.Equal("Content-Type", response.Headers[0].Key);
            await response.ReadBytesAsync();
        }

        Assert.Equal(["text/a", "text/b", "text/b"], types);
        Assert.Equal(1, upstream.Accepted);
    }

    [Fact]
    public async Task SendAsync_OtherHeadersRepeatedAcrossResponses_KeepTheirCasingAndValues()
    {
        await using var upstream = Raw(
            "HTTP/1.1 200 OK\r\nX-Thing: 1\r\nX-Same: s\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nx-thing: 2\r\nX-Same: s\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nx-thing: 2\r\nX-Same: t\r\nContent-Length: 0\r\n\r\n");
        using var client = Client(upstream.Port, UniqueCluster());

        var seen = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.SendAsync(Get("/"));
            seen.Add(string.Join(",", response.Headers.Select(h => $"{h.Key}={h.Value}")));
        }

        Assert.Equal(
            ["X-Thing=1,X-Same=s,Content-Length=0", "x-thing=2,X-Same=s,Content-Length=0", "x-thing=2,X-Same=t,Content-Length=0"],
            seen);
    }

    [Fact]
    public async Task SendAsync_TlsHandshakeNeverAnswered_ThrowsConnectTimeout()
    {
        var time = new ManualTimeProvider();
        var accepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = new RawUpstream(async (connection, _) =>
        {
            accepted.SetResult();
            await connection.ReadToEndAsync();
        });
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        using var client = Client(upstream.Port, cluster, time: time, connectTimeout: TimeSpan.FromSeconds(5), tls: new() { TargetHost = "localhost" });

        var sending = client.SendAsync(Get("/"), CancellationToken.None);
        await accepted.Task.WaitAsync(Guard);
        time.Advance(TimeSpan.FromSeconds(5));
        var error = await Assert.ThrowsAsync<UpstreamException>(() => sending.WaitAsync(Guard));

        Assert.Equal(UpstreamFailure.Connect, error.Kind);
        Assert.Contains("timed out after 5 s", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Get("upstream_cx_connect_fail_total", cluster));
    }
}
