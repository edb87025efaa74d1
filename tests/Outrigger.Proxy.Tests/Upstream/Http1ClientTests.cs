using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Outrigger.Proxy.Tests.Infrastructure;
using Outrigger.Proxy.Upstream;
using static Outrigger.Proxy.Tests.Upstream.Http1Test;

namespace Outrigger.Proxy.Tests.Upstream;

/// <summary><see cref="Outrigger.Proxy.Upstream.Http1.Http1Client"/> against real Kestrel upstreams.</summary>
public sealed class Http1ClientTests
{
    [Fact]
    public async Task SendAsync_Get_SendsHostAndHeadersAndReadsContentLengthBody()
    {
        await using var upstream = await TestUpstream.StartAsync("k");
        using var client = Client(upstream.Port, UniqueCluster());
        var request = Get("/headers?q=1");
        request.Authority = "example.test:8080";
        request.Add("X-Custom", "one");
        request.Add("X-Multi", new StringValues(["a", "b"]));

        using var response = await client.SendAsync(request);
        var text = await response.ReadTextAsync();

        Assert.Equal(200, response.StatusCode);
        Assert.Equal(System.Net.HttpVersion.Version11, response.Version);
        Assert.Equal("k", response.Header("x-upstream"));
        Assert.Contains("GET /headers?q=1 HTTP/1.1\n", text, StringComparison.Ordinal);
        Assert.Contains("host: example.test:8080\n", text, StringComparison.Ordinal);
        Assert.Contains("x-custom: one\n", text, StringComparison.Ordinal);
        Assert.Contains("x-multi: a,b\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("content-length", text, StringComparison.Ordinal);
        Assert.DoesNotContain("transfer-encoding", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16 * 1024)]
    [InlineData(100)]
    public async Task ReadAsync_LargeContentLengthBody_ArrivesWhole(int bufferSize)
    {
        await using var upstream = await TestUpstream.StartAsync();
        using var client = Client(upstream.Port, UniqueCluster());

        using var response = await client.SendAsync(Get("/bytes/300000"));
        var body = await response.ReadBytesAsync(bufferSize);

        Assert.Equal(300000, body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            Assert.Equal((byte)(i % (64 * 1024) % 251), body[i]);
        }
    }

    [Fact]
    public async Task ReadAsync_ChunkedBody_IsDechunked()
    {
        await using var upstream = await TestUpstream.StartAsync();
        using var client = Client(upstream.Port, UniqueCluster());

        using var response = await client.SendAsync(Get("/stream/3"));

        Assert.Equal("chunked", response.Header("Transfer-Encoding"));
        Assert.Equal("chunk 0\nchunk 1\nchunk 2\n", await response.ReadTextAsync());
    }

    [Fact]
    public async Task SendAsync_ChunkedBodyWithTrailers_TrailersArriveAtKestrel()
    {
        await using var upstream = await TestUpstream.StartAsync(handler: async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync($"{context.Request.Headers.TransferEncoding}|{body}|{context.Request.GetTrailer("x-checksum")}|{context.Request.GetTrailer("x-other")}");
        });
        using var client = Client(upstream.Port, UniqueCluster());
        var request = Get("/", "POST");
        request.Body = new BufferedBody("payload"u8.ToArray(), announceLength: false, [new("x-checksum", "abc"), new("X-Other", "1")]);

        using var response = await client.SendAsync(request);

        Assert.Equal("chunked|payload|abc|1", await response.ReadTextAsync());
    }

    [Fact]
    public async Task SendAsync_StreamedBodyOfUnknownLength_FlowsBothWaysAtOnce()
    {
        await using var upstream = await TestUpstream.StartAsync();
        using var client = Client(upstream.Port, UniqueCluster());
        var body = new StreamedBody();
        var request = Get("/echo", "POST");
        request.Body = body;
        body.Write("first ");

        using var response = await client.SendAsync(request);
        var buffer = new byte[1024];
        var read = await response.ReadAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Guard);
        var first = Encoding.ASCII.GetString(buffer, 0, read);
        body.Write("second");
        body.End();
        var rest = await response.ReadTextAsync();

        Assert.Equal("first ", first);
        Assert.Equal("second", rest);
    }

    [Fact]
    public async Task SendAsync_BodyOfKnownLength_SendsContentLength()
    {
        await using var upstream = await TestUpstream.StartAsync();
        using var client = Client(upstream.Port, UniqueCluster());
        var request = Get("/headers", "PUT");
        request.Body = new StreamedBody(length: 11);
        ((StreamedBody)request.Body).Write("hello ");
        ((StreamedBody)request.Body).Write("world");
        ((StreamedBody)request.Body).End();

        using var response = await client.SendAsync(request);
        var text = await response.ReadTextAsync();

        Assert.Contains("content-length: 11\n", text, StringComparison.Ordinal);
        Assert.Contains("body-length: 11\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("transfer-encoding", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST", true)]
    [InlineData("PUT", true)]
    [InlineData("PATCH", true)]
    [InlineData("GET", false)]
    [InlineData("DELETE", false)]
    public async Task SendAsync_NoBody_ContentLengthZeroOnlyForMethodsWithBodies(string method, bool expected)
    {
        await using var upstream = await TestUpstream.StartAsync();
        using var client = Client(upstream.Port, UniqueCluster());

        using var response = await client.SendAsync(Get("/headers", method));
        var text = await response.ReadTextAsync();

        Assert.Equal(expected, text.Contains("content-length: 0\n", StringComparison.Ordinal));
        Assert.DoesNotContain("transfer-encoding", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_SequentialRequests_ReuseOneConnection()
    {
        await using var upstream = await TestUpstream.StartAsync(handler: context => context.Response.WriteAsync(context.Connection.Id));
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        using var client = Client(upstream.Port, cluster);

        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await client.GetTextAsync("/")).Body);
        }

        Assert.Single(ids.Distinct());
        Assert.Equal(1, metrics.Get("upstream_cx_total", cluster));
        Assert.Equal(1, client.IdleCount);
    }

    [Fact]
    public async Task SendAsync_ExpectContinue_BodyWaitsForTheUpstreams100()
    {
        await using var upstream = await TestUpstream.StartAsync();
        using var client = Client(upstream.Port, UniqueCluster(), expectTimeout: Timeout.InfiniteTimeSpan);
        var request = Get("/echo", "POST");
        request.ExpectContinue = true;
        request.Body = new BufferedBody("continued"u8.ToArray());

        using var response = await client.SendAsync(request);

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("continued", await response.ReadTextAsync());
    }

    [Fact]
    public async Task SendAsync_ExpectContinueAnsweredWithFinalStatus_BodyIsNotSentAndConnectionClosed()
    {
        var requests = 0;
        await using var upstream = await TestUpstream.StartAsync(handler: context =>
        {
            Interlocked.Increment(ref requests);
            context.Response.StatusCode = 417;
            return Task.CompletedTask;
        });
        using var client = Client(upstream.Port, UniqueCluster(), expectTimeout: Timeout.InfiniteTimeSpan);
        var body = new StreamedBody(length: 5);
        var request = Get("/", "POST");
        request.ExpectContinue = true;
        request.Body = body;

        using (var response = await client.SendAsync(request))
        {
            Assert.Equal(417, response.StatusCode);
            Assert.Empty(await response.ReadBytesAsync());
        }

        Assert.False(body.Started);
        Assert.Equal(0, client.IdleCount);
        Assert.Equal(1, requests);
    }

    [Fact]
    public async Task OpenTunnel_WebSocketUpgrade_EchoesThroughTheTunnel()
    {
        await using var upstream = await TestUpstream.StartAsync();
        using var client = Client(upstream.Port, UniqueCluster());
        var request = Get("/ws");
        request.Upgrade = true;
        request.Add("Upgrade", "websocket");
        request.Add("Sec-WebSocket-Version", "13");
        request.Add("Sec-WebSocket-Key", Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));

        using var response = await client.SendAsync(request);
        Assert.Equal(101, response.StatusCode);
        await using var tunnel = response.OpenTunnel();
        using var socket = WebSocket.CreateFromStream(tunnel, new WebSocketCreationOptions { IsServer = false });
        await socket.SendAsync("ping"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(Guard);
        var buffer = new byte[100];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Guard);

        Assert.Equal("ping", Encoding.ASCII.GetString(buffer, 0, received.Count));
    }

    [Fact]
    public async Task SendAsync_MaxConnectionsOne_SecondRequestWaitsForTheFirstsConnection()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await TestUpstream.StartAsync(handler: async context =>
        {
            entered.TrySetResult();
            await release.Task;
            await context.Response.WriteAsync(context.Connection.Id);
        });
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        using var client = Client(upstream.Port, cluster, maxConnections: 1);

        var first = client.GetTextAsync("/");
        await entered.Task.WaitAsync(Guard);
        var second = client.GetTextAsync("/");
        Assert.False(second.IsCompleted);
        release.SetResult();
        var results = await Task.WhenAll(first, second).WaitAsync(Guard);

        Assert.Equal(results[0].Body, results[1].Body);
        Assert.Equal(1, metrics.Get("upstream_cx_total", cluster));
    }

    [Fact]
    public async Task SendAsync_MaxConnectionsReachedAndCancelled_ThrowsOperationCanceled()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await TestUpstream.StartAsync(handler: async context =>
        {
            await release.Task;
            await context.Response.WriteAsync("done");
        });
        using var client = Client(upstream.Port, UniqueCluster(), maxConnections: 1);
        var first = client.GetTextAsync("/");
        using var cancel = new CancellationTokenSource();

        var waiting = client.SendAsync(Get("/"), cancel.Token);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Guard));
        release.SetResult();
        Assert.Equal("done", (await first.WaitAsync(Guard)).Body);
    }

    [Fact]
    public async Task SendAsync_TlsUpstream_SpeaksHttp11OverTls()
    {
        using var certificate = new TestCertificate();
        await using var upstream = await TestUpstream.StartAsync(handler: context =>
            context.Response.WriteAsync($"{context.Request.IsHttps} {context.Request.Protocol}"),
            tls: certificate.Certificate);
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        var tls = new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == certificate.Certificate.GetCertHashString(),
        };
        using var client = Client(upstream.Port, cluster, tls: tls);

        var (status, body) = await client.GetTextAsync("/");
        var again = await client.GetTextAsync("/");

        Assert.Equal(200, status);
        Assert.Equal("True HTTP/1.1", body);
        Assert.Equal(body, again.Body);
        Assert.Equal(1, metrics.Get("upstream_cx_total", cluster));
    }

    [Fact]
    public async Task SendAsync_TlsUpstreamWithUntrustedCertificate_ThrowsConnectError()
    {
        using var certificate = new TestCertificate();
        await using var upstream = await TestUpstream.StartAsync(tls: certificate.Certificate);
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        using var client = Client(upstream.Port, cluster, tls: new() { TargetHost = "localhost" });

        var error = await Assert.ThrowsAsync<UpstreamException>(() => client.SendAsync(Get("/")));

        Assert.Equal(UpstreamFailure.Connect, error.Kind);
        Assert.Contains("TLS handshake failed", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Get("upstream_cx_connect_fail_total", cluster));
    }

    [Fact]
    public async Task SendAsync_ClientBodyFails_ThrowsNamingTheRequestBody()
    {
        await using var upstream = await TestUpstream.StartAsync();
        using var client = Client(upstream.Port, UniqueCluster());
        var body = new StreamedBody();
        var request = Get("/count", "POST");
        request.Body = body;
        body.Write("part");

        var sending = client.SendAsync(request);
        await body.WhenStarted.WaitAsync(Guard);
        body.Fail("client went away");
        var error = await Assert.ThrowsAsync<UpstreamException>(() => sending);

        Assert.Contains("request body", error.Message, StringComparison.Ordinal);
        Assert.Contains("client went away", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, client.IdleCount);
    }

    [Fact]
    public async Task Dispose_ResponseBeforeItsBodyEnded_ClosesTheConnection()
    {
        var connections = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        await using var upstream = await TestUpstream.StartAsync(handler: context =>
        {
            connections.TryAdd(context.Connection.Id, 0);
            return context.Response.WriteAsync(new string('x', 50000));
        });
        using var client = Client(upstream.Port, UniqueCluster());

        using (var response = await client.SendAsync(Get("/")))
        {
            await response.ReadAsync(new byte[10], CancellationToken.None);
        }

        Assert.Equal(0, client.IdleCount);
        Assert.Equal(50000, (await client.GetTextAsync("/")).Body.Length);
        Assert.Equal(2, connections.Count);
    }

    [Fact]
    public async Task SendAsync_ConcurrentUploadsOnPooledConnections_EachEchoesItsOwnBody()
    {
        await using var upstream = await TestUpstream.StartAsync();
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        using var client = Client(upstream.Port, cluster);

        var workers = Enumerable.Range(0, 8).Select(async worker =>
        {
            for (var i = 0; i < 25; i++)
            {
                var data = Encoding.ASCII.GetBytes(new string((char)('a' + worker), 1 + (i * 997 % 40000)));
                var request = Get("/echo", "POST");
                request.Body = new BufferedBody(data, announceLength: i % 2 == 0);
                using var response = await client.SendAsync(request);
                Assert.Equal(data, await response.ReadBytesAsync());
            }
        });
        await Task.WhenAll(workers).WaitAsync(Guard);

        // Connections are reused (200 requests); how many exist depends on scheduling.
        Assert.InRange(metrics.Get("upstream_cx_total", cluster), 1, 50);
    }
}
