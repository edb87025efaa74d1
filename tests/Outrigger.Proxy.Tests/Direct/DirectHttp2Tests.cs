using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Outrigger.Proxy.Tests.Infrastructure;
using Xunit;

namespace Outrigger.Proxy.Tests.Direct;

/// <summary>Outrigger's own HTTP/2 engine (docs/direct-http2.md) through real clients and raw frames.</summary>
public class DirectHttp2Tests
{
    [Fact]
    public async Task Get_H2cClient_ServedByTheEngineWithForwardingHeaders()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var client = proxy.CreateClient(HttpVersion.Version20);

        using var response = await client.GetAsync("/headers?x=1");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.StartsWith("GET /headers?x=1 HTTP/1.1\n", body);
        Assert.Contains("via: 2 outrigger\n", body);
        Assert.Contains("x-forwarded-for: 127.0.0.1\n", body);
        Assert.Contains("1.1 outrigger", response.Headers.Via.ToString());
        Assert.Equal("a", response.Headers.GetValues("x-upstream").Single());
        Assert.Equal(1, proxy.Module.Direct!.Http2Connections);
    }

    [Fact]
    public async Task Post_StreamedBodyWithoutLength_EchoedWhole()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var client = proxy.CreateClient(HttpVersion.Version20);
        var payload = new byte[3 * 1024 * 1024 + 17];
        new Random(5).NextBytes(payload);

        // No Content-Length: the body goes to the HTTP/1.1 upstream chunked, beyond every flow-control window.
        using var content = new StreamContent(new MemoryStream(payload));
        using var response = await client.PostAsync("/echo", content);
        var echoed = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(payload, echoed);
    }

    [Fact]
    public async Task Post_EmptyBodyEndedByEmptyData_UpstreamGetsTheEndOfItsChunkedBody()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var socket = await H2Socket.ConnectAsync(proxy.Port);

        // HEADERS without END_STREAM and without content-length, then an empty DATA frame ending the stream.
        byte[] block = [0x83, 0x86, 0x44, 0x06, .. "/count"u8, 0x41, 0x01, (byte)'x'];
        await socket.SendFrameAsync(0x1, 0x4, 1, block);
        await socket.SendFrameAsync(0x0, 0x1, 1, []);
        var headers = await socket.ReceiveFrameAsync(0x1);
        var data = await socket.ReceiveFrameAsync(0x0);

        Assert.Equal(1, headers.StreamId);
        Assert.Equal(0x88, headers.Payload[0]); // :status 200
        Assert.Equal("0", Encoding.ASCII.GetString(data.Payload));
    }

    [Fact]
    public async Task Get_ChunkedUpstreamResponse_DecodedIntoData()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var client = proxy.CreateClient(HttpVersion.Version20);

        using var response = await client.GetAsync("/stream/3");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.False(response.Headers.TransferEncodingChunked ?? false);
    }

    [Fact]
    public async Task ManyConcurrentStreams_H2load_AllSucceed()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));

        var (exit, output, error) = await Tool.RunAsync("h2load", "-n", "3000", "-c", "3", "-m", "32", $"{proxy.BaseAddress}bytes/70000");

        Assert.True(exit == 0, error + output);
        Assert.Contains("3000 succeeded, 0 failed, 0 errored", output);
        Assert.Equal(3, proxy.Module.Direct!.Http2Connections);
    }

    [Fact]
    public async Task NoRoute_DeadUpstream_RouteTimeout_AnsweredWithTheirStatus()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        var dead = ForwardingTests.FreePort();
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                live: { endpoints: [{{upstream.Endpoint()}}] }
                dead: { endpoints: [{ address: 127.0.0.1, port: {{dead}} }] }
              routes:
                - { match: { path_prefix: /dead }, cluster: dead }
                - { match: { path_prefix: /slow }, cluster: live, timeout_ms: 300 }
            """);
        using var client = proxy.CreateClient(HttpVersion.Version20);

        using var none = await client.GetAsync("/nothing");
        using var refused = await client.GetAsync("/dead");
        using var slow = await client.GetAsync("/slow/5000");

        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Contains("no route matches GET", await none.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Contains("upstream connect error", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.GatewayTimeout, slow.StatusCode);
        Assert.Equal(1, proxy.Module.Direct!.Http2Connections);
    }

    [Fact]
    public async Task PercentEncodedPath_RoutedDecodedAndForwardedAsSent()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                live: { endpoints: [{{upstream.Endpoint()}}] }
              routes:
                - { match: { path_prefix: "/a b" }, cluster: live }
            """);
        using var client = proxy.CreateClient(HttpVersion.Version20);

        using var response = await client.GetAsync("/a%20b/./c/../headers");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("a%20b", body.Split('\n')[0]);
    }

    [Fact]
    public async Task UppercaseFieldName_StreamReset_ConnectionGoesOn()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var socket = await H2Socket.ConnectAsync(proxy.Port);

        // :method GET, :scheme http, :path /, :authority x, then "X-Bad: 1" (a literal name in upper case).
        byte[] block = [0x82, 0x86, 0x84, 0x41, 0x01, (byte)'x', 0x00, 0x05, .. "X-Bad"u8, 0x01, (byte)'1'];
        await socket.SendFrameAsync(0x1, 0x5, 1, block);
        var rst = await socket.ReceiveFrameAsync(0x3);

        Assert.Equal(1, rst.StreamId);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(rst.Payload)); // PROTOCOL_ERROR

        // A good request on the same connection is still served.
        byte[] good = [0x82, 0x86, 0x84, 0x41, 0x01, (byte)'x'];
        await socket.SendFrameAsync(0x1, 0x5, 3, good);
        var headers = await socket.ReceiveFrameAsync(0x1);
        Assert.Equal(3, headers.StreamId);
    }

    [Fact]
    public async Task DataOnStreamZero_GoAwayWithProtocolError()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync(Service(upstream));
        using var socket = await H2Socket.ConnectAsync(proxy.Port);

        await socket.SendFrameAsync(0x0, 0, 0, "oops"u8.ToArray());
        var goAway = await socket.ReceiveFrameAsync(0x7);

        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(goAway.Payload.AsSpan(4))); // PROTOCOL_ERROR
        Assert.Contains("DATA on stream 0", Encoding.UTF8.GetString(goAway.Payload.AsSpan(8)));
        using var client = proxy.CreateClient(HttpVersion.Version20);
        using var after = await client.GetAsync("/status/204");
        Assert.Equal(HttpStatusCode.NoContent, after.StatusCode);
    }

    [Fact]
    public async Task RouteNeedingKestrel_H2ConnectionsGoToKestrel()
    {
        await using var upstream = await TestUpstream.StartAsync("a");
        await using var proxy = await ProxyHost.StartAsync($$"""
            proxy:
              clusters:
                live: { endpoints: [{{upstream.Endpoint()}}], load_balancing: { algorithm: consistent_hash, hash_on: client_ip } }
              routes:
                - { cluster: live }
            """);
        using var client = proxy.CreateClient(HttpVersion.Version20);

        using var response = await client.GetAsync("/headers");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(0, proxy.Module.Direct!.Http2Connections);
    }

    private static string Service(TestUpstream upstream) => Http2Tests.Service(upstream);

    /// <summary>A raw HTTP/2 client connection: preface and SETTINGS sent, frames written and read by hand.</summary>
    private sealed class H2Socket : IDisposable
    {
        private readonly Socket _socket;

        private H2Socket(Socket socket) => _socket = socket;

        public static async Task<H2Socket> ConnectAsync(int port)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, port);
            var h2 = new H2Socket(socket);
            await socket.SendAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
            await h2.SendFrameAsync(0x4, 0, 0, []);
            return h2;
        }

        public async Task SendFrameAsync(byte type, byte flags, int stream, byte[] payload)
        {
            var frame = new byte[9 + payload.Length];
            frame[0] = (byte)(payload.Length >> 16);
            frame[1] = (byte)(payload.Length >> 8);
            frame[2] = (byte)payload.Length;
            frame[3] = type;
            frame[4] = flags;
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), stream);
            payload.CopyTo(frame, 9);
            await _socket.SendAsync(frame);
        }

        /// <summary>Reads frames until one of <paramref name="type"/> arrives (10 s at most).</summary>
        public async Task<(int StreamId, byte[] Payload)> ReceiveFrameAsync(byte type)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (true)
            {
                var header = await ReadExactlyAsync(9, timeout.Token);
                var payload = await ReadExactlyAsync((header[0] << 16) | (header[1] << 8) | header[2], timeout.Token);
                if (header[3] == type)
                {
                    return (BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & int.MaxValue, payload);
                }
            }
        }

        public void Dispose() => _socket.Dispose();

        private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken token)
        {
            var buffer = new byte[count];
            for (var read = 0; read < count;)
            {
                var n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, token);
                if (n == 0)
                {
                    throw new IOException("the proxy closed the connection");
                }

                read += n;
            }

            return buffer;
        }
    }
}
