using System.Text;
using Outrigger.Proxy.Tests.Infrastructure;
using static Outrigger.Proxy.Tests.Upstream.Http1Test;

namespace Outrigger.Proxy.Tests.Upstream;

/// <summary><see cref="Outrigger.Proxy.Upstream.Http1.Http1Client"/> against a real nginx.</summary>
public sealed class Http1ClientNginxTests
{
    [Fact]
    public async Task SendAsync_KeepAlive_ReusesOneConnection()
    {
        using var nginx = new Nginx();
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        using var client = Client(nginx.Port, cluster);

        for (var i = 0; i < 10; i++)
        {
            using var response = await client.SendAsync(Get("/2k"));
            Assert.Equal(200, response.StatusCode);
            Assert.Equal("2048", response.Header("Content-Length"));
            Assert.Equal(nginx.Body, await response.ReadBytesAsync());
        }

        Assert.Equal(1, metrics.Get("upstream_cx_total", cluster));
    }

    [Fact]
    public async Task ReadAsync_NginxChunkedResponse_IsDechunked()
    {
        using var nginx = new Nginx();
        using var client = Client(nginx.Port, UniqueCluster());

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.SendAsync(Get("/chunked/2k"));
            Assert.Equal("chunked", response.Header("Transfer-Encoding"));
            Assert.Equal(nginx.Body, await response.ReadBytesAsync(bufferSize: 500));
        }

        Assert.Equal(1, client.IdleCount);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SendAsync_PutToNginx_StoresTheBody(bool announceLength)
    {
        using var nginx = new Nginx();
        using var client = Client(nginx.Port, UniqueCluster());
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0123456789", 5000)));
        var request = Get("/upload/file", "PUT");
        request.Body = new BufferedBody(data, announceLength);

        using (var put = await client.SendAsync(request))
        {
            Assert.Equal(201, put.StatusCode);
            await put.ReadBytesAsync();
        }

        using var get = await client.SendAsync(Get("/upload/file"));
        Assert.Equal(data, await get.ReadBytesAsync());
    }

    [Fact]
    public async Task SendAsync_NginxClosedTheIdleConnection_NextRequestUsesANewOne()
    {
        using var nginx = new Nginx("keepalive_timeout 1s;");
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        using var client = Client(nginx.Port, cluster);
        await client.GetTextAsync("/2k");

        for (var waited = System.Diagnostics.Stopwatch.StartNew(); client.StaleIdleCount() == 0;)
        {
            Assert.True(waited.Elapsed < Guard, "nginx did not close the idle connection");
            await Task.Delay(50);
        }

        var (status, body) = await client.GetTextAsync("/2k");

        Assert.Equal(200, status);
        Assert.Equal(2048, body.Length);
        Assert.Equal(2, metrics.Get("upstream_cx_total", cluster));
    }

    [Fact]
    public async Task SendAsync_NginxKeepaliveRequestsLimit_EveryRequestSucceeds()
    {
        using var nginx = new Nginx("keepalive_requests 2;");
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        using var client = Client(nginx.Port, cluster);

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(200, (await client.GetTextAsync("/2k")).Status);
        }

        Assert.Equal(3, metrics.Get("upstream_cx_total", cluster));
    }

    [Fact]
    public async Task SendAsync_ManyConcurrentRequestsWithAConnectionLimit_AllSucceedWithinTheLimit()
    {
        using var nginx = new Nginx();
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        using var client = Client(nginx.Port, cluster, maxConnections: 4);

        var workers = Enumerable.Range(0, 16).Select(async worker =>
        {
            for (var i = 0; i < 25; i++)
            {
                var chunked = (worker + i) % 2 == 0;
                using var response = await client.SendAsync(Get(chunked ? "/chunked/2k" : "/2k"));
                Assert.Equal(200, response.StatusCode);
                Assert.Equal(nginx.Body, await response.ReadBytesAsync(bufferSize: 1000));
            }
        });
        await Task.WhenAll(workers).WaitAsync(Guard);

        Assert.InRange(metrics.Get("upstream_cx_total", cluster), 1, 4);
        Assert.InRange(client.IdleCount, 1, 4);
    }
}
