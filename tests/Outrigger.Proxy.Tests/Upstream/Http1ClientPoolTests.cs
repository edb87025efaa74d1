using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Tests.Infrastructure;
using static Outrigger.Proxy.Tests.Upstream.Http1Test;

namespace Outrigger.Proxy.Tests.Upstream;

/// <summary>The connection pool of <see cref="Outrigger.Proxy.Upstream.Http1.Http1Client"/>: idle timeout, stale connections, disposal, metrics.</summary>
public sealed class Http1ClientPoolTests
{
    [Fact]
    public async Task IdleTimeout_Sweep_ClosesPooledConnections()
    {
        var connections = new ConcurrentDictionary<string, int>();
        await using var upstream = await TestUpstream.StartAsync(handler: context => Serve(context, connections));
        var time = new ManualTimeProvider();
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        using var client = Client(upstream.Port, cluster, time: time, idleTimeout: TimeSpan.FromSeconds(30));

        await client.GetTextAsync("/");
        Assert.Equal(1, client.IdleCount);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(1, client.IdleCount);
        time.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal(0, client.IdleCount);
        Assert.Equal(-1, metrics.Get("upstream_cx_active", cluster));
        await client.GetTextAsync("/");
        Assert.Equal(2, connections.Count);
    }

    [Fact]
    public async Task IdleTimeout_ExpiredBeforeTheSweep_IsNotTaken()
    {
        var connections = new ConcurrentDictionary<string, int>();
        await using var upstream = await TestUpstream.StartAsync(handler: context => Serve(context, connections));
        var time = new ManualTimeProvider();
        using var client = Client(upstream.Port, UniqueCluster(), time: time, idleTimeout: TimeSpan.FromSeconds(30));

        time.Advance(TimeSpan.FromSeconds(10));
        await client.GetTextAsync("/");
        time.Advance(TimeSpan.FromSeconds(25)); // the sweep at 30 s finds it 20 s idle
        Assert.Equal(1, client.IdleCount);
        time.Advance(TimeSpan.FromSeconds(5)); // 30 s idle, next sweep at 60 s
        Assert.Equal(1, client.IdleCount);
        await client.GetTextAsync("/");

        Assert.Equal(2, connections.Count);
        Assert.Equal(1, client.IdleCount);
    }

    [Fact]
    public async Task Dispose_ClosesIdleConnectionsAndLaterSendsThrow()
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = new RawUpstream(async (connection, _) =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            await connection.ReadToEndAsync();
            closed.SetResult();
        });
        var client = Client(upstream.Port, UniqueCluster());
        await client.GetTextAsync("/");

        client.Dispose();

        await closed.Task.WaitAsync(Guard);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.SendAsync(Get("/"), CancellationToken.None));
    }

    [Fact]
    public async Task Dispose_WhileAResponseIsOpen_ClosesItsConnectionWhenItEnds()
    {
        await using var upstream = Raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        var cluster = UniqueCluster();
        using var metrics = new MetricsCapture();
        var client = Client(upstream.Port, cluster);
        var response = await client.SendAsync(Get("/"));

        client.Dispose();
        Assert.Equal("ok", await response.ReadTextAsync());
        response.Dispose();

        Assert.Equal(0, client.IdleCount);
        Assert.Equal(-1, metrics.Get("upstream_cx_active", cluster));
    }

    private static Task Serve(HttpContext context, ConcurrentDictionary<string, int> connections)
    {
        connections.TryAdd(context.Connection.Id, 0);
        return context.Response.WriteAsync("ok");
    }
}
