using System.Net.WebSockets;
using System.Text;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests;

public sealed class WebSocketTests
{
    [Fact]
    public async Task WebSocket_ClientWebSocketThroughProxy_EchoesMessagesAndCloses()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Http2Tests.Service(upstream));
        using var socket = new ClientWebSocket();

        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{proxy.Port}/ws"), CancellationToken.None);
        var buffer = new byte[256 * 1024];
        var large = new byte[200_000];
        Random.Shared.NextBytes(large);
        foreach (var message in new[] { Encoding.UTF8.GetBytes("hello"), large })
        {
            await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
            var received = 0;
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, received, buffer.Length - received), CancellationToken.None);
                received += result.Count;
            }
            while (!result.EndOfMessage);

            Assert.Equal(message, buffer.AsSpan(0, received).ToArray());
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal("bye", socket.CloseStatusDescription);
    }

    [Fact]
    public async Task WebSocket_OverHttp2ExtendedConnect_TunnelledToHttp11Upstream()
    {
        await using var upstream = await TestUpstream.StartAsync("a");

        // Extended CONNECT is Kestrel's: Outrigger's own HTTP/2 engine does not offer it.
        await using var proxy = await ProxyHost.StartAsync("proxy: { direct_http2: false }\n" + Http2Tests.Service(upstream));
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = System.Net.HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler());

        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{proxy.Port}/ws"), invoker, CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("over h2"), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var buffer = new byte[1024];
        var result = await socket.ReceiveAsync(buffer, CancellationToken.None);

        Assert.Equal("over h2", Encoding.UTF8.GetString(buffer, 0, result.Count));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(WebSocketState.Closed, socket.State);
    }

    [Fact]
    public async Task WebSocket_UpstreamRefusesUpgrade_ClientGetsUpstreamStatus()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Http2Tests.Service(upstream));
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"ws://127.0.0.1:{proxy.Port}/status/403"), CancellationToken.None));

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, socket.HttpStatusCode);
    }
}
