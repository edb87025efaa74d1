using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Core.Hosting;

namespace Outrigger.Core.Tests.Hosting;

/// <summary>Connections accepted by our own listen socket, partly read, then served by Kestrel through a <see cref="ConnectionHandoff"/>.</summary>
public sealed class ConnectionHandoffTests : IAsyncDisposable
{
    private readonly Socket _listen = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly ConnectionHandoff _handoff;
    private HttpServer? _server;

    public ConnectionHandoffTests()
    {
        _listen.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listen.Listen(16);
        _handoff = new ConnectionHandoff((IPEndPoint)_listen.LocalEndPoint!);
    }

    public async ValueTask DisposeAsync()
    {
        _listen.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(10)]   // inside the request line
    [InlineData(60)]   // the whole head and part of the body
    public async Task HandOff_AfterReadingPartOfTheRequest_KestrelServesItAndTheNextOne(int readFirst)
    {
        await StartAsync();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(_handoff.EndPoint);
        var first = "POST /first HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world";
        await client.SendAsync(Encoding.ASCII.GetBytes(first));

        using var accepted = await _listen.AcceptAsync();
        var received = await ReadExactlyAsync(accepted, readFirst);
        Assert.True(_handoff.HandOff(accepted, received));

        var response = await ReceiveUntilAsync(client, "hello world");
        Assert.StartsWith("HTTP/1.1 200", response);
        Assert.Contains("POST /first 127.0.0.1 hello world", response);

        await client.SendAsync(Encoding.ASCII.GetBytes("GET /second HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.Contains("GET /second 127.0.0.1 ", await ReceiveUntilAsync(client, "/second"));
    }

    [Fact]
    public async Task HandOff_PartOfTheHttp2Preface_ServedAsHttp2()
    {
        await StartAsync(l => CleartextHttp2.Use(l, TimeSpan.FromSeconds(5)));
        var relay = RelayOneAsync(readFirst: 5);
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{_handoff.EndPoint}/h2") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.StartsWith("GET /h2 127.0.0.1", await response.Content.ReadAsStringAsync());
        await relay;
    }

    [Fact]
    public async Task HandOff_ServerStopped_ReturnsFalseAndClosesTheSocket()
    {
        await StartAsync();
        await _server!.StopAsync(CancellationToken.None);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(_handoff.EndPoint);
        var accepted = await _listen.AcceptAsync();

        Assert.False(_handoff.HandOff(accepted, ReadOnlyMemory<byte>.Empty));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await client.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token));
    }

    [Fact]
    public async Task HandOff_NotStarted_ReturnsFalse()
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(_handoff.EndPoint);
        var accepted = await _listen.AcceptAsync();

        Assert.False(_handoff.HandOff(accepted, ReadOnlyMemory<byte>.Empty));
    }

    [Fact]
    public async Task HandOff_ClosedCallback_RunsOnceWhenTheConnectionEnds()
    {
        await StartAsync();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(_handoff.EndPoint);
        var accepted = await _listen.AcceptAsync();
        var calls = 0;
        var ended = new TaskCompletionSource();

        Assert.True(_handoff.HandOff(accepted, ReadOnlyMemory<byte>.Empty, () =>
        {
            Interlocked.Increment(ref calls);
            ended.TrySetResult();
        }));
        await client.SendAsync(Encoding.ASCII.GetBytes("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.Contains("GET /one", await ReceiveUntilAsync(client, "/one"));
        Assert.Equal(0, Volatile.Read(ref calls));

        client.Dispose();
        await ended.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _server!.StopAsync(CancellationToken.None);
        Assert.Equal(1, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task HandOff_NotStarted_CallsTheClosedCallbackAtOnce()
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(_handoff.EndPoint);
        var accepted = await _listen.AcceptAsync();
        var calls = 0;

        Assert.False(_handoff.HandOff(accepted, ReadOnlyMemory<byte>.Empty, () => calls++));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Server_ReportsTheHandoffsEndPoint()
    {
        await StartAsync();

        Assert.Equal(_handoff.EndPoint, Assert.Single(_server!.EndPoints));
    }

    private async Task StartAsync(Action<ListenOptions>? configure = null)
    {
        _server = await HttpServer.StartAsync([ListenEndpoint.ForHandoff(_handoff, HttpProtocols.Http1AndHttp2, configure)], EchoAsync, NullLoggerFactory.Instance);
    }

    private static async Task EchoAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        await context.Response.WriteAsync($"{context.Request.Method} {context.Request.Path} {context.Connection.RemoteIpAddress} {body}");
    }

    private async Task RelayOneAsync(int readFirst)
    {
        var accepted = await _listen.AcceptAsync();
        Assert.True(_handoff.HandOff(accepted, await ReadExactlyAsync(accepted, readFirst)));
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            read += await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
        }

        return buffer;
    }

    private static async Task<string> ReceiveUntilAsync(Socket socket, string marker)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!text.ToString().Contains(marker, StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return text.ToString();
    }
}
