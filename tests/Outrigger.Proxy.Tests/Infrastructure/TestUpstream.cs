using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Core.Hosting;

namespace Outrigger.Proxy.Tests.Infrastructure;

/// <summary>
/// A real Kestrel upstream on a free loopback port. Paths: <c>/headers</c> (request line and headers as text),
/// <c>/echo</c> (streams the body back), <c>/count</c> (answers the body's length), <c>/bytes/N</c>, <c>/status/N</c>, <c>/slow/MS</c>, <c>/stream/N</c> (N flushed
/// chunks 50 ms apart), <c>/trailers</c>, <c>/request-trailers</c> (reads the body, answers its length and the request's trailers), <c>/health</c> (status from <see cref="HealthStatus"/>), <c>/ws</c> (WebSocket echo).
/// Every response carries <c>x-upstream: NAME</c>.
/// </summary>
internal sealed class TestUpstream : IAsyncDisposable
{
    private HttpServer _server = null!;
    private int _requests;

    private TestUpstream(string name) => Name = name;

    public string Name { get; }

    public int Port => _server.EndPoints[0].Port;

    public int Requests => Volatile.Read(ref _requests);

    public int HealthStatus { get; set; } = 200;

    /// <summary>Extra delay before answering anything but /health.</summary>
    public TimeSpan Delay { get; set; }

    public static async Task<TestUpstream> StartAsync(string name = "a", HttpProtocols protocols = HttpProtocols.Http1, RequestDelegate? handler = null, X509Certificate2? tls = null)
    {
        var upstream = new TestUpstream(name);
        upstream._server = await HttpServer.StartAsync(
            [new ListenEndpoint(new IPEndPoint(IPAddress.Loopback, 0), protocols, tls is null ? null : l => Listener.TlsListener.Use(l, tls, TimeSpan.FromSeconds(10)))],
            handler ?? upstream.HandleAsync,
            NullLoggerFactory.Instance,
            o => o.Limits.MaxRequestBodySize = null);
        return upstream;
    }

    public string Endpoint(int weight = 1) => $"{{ address: \"127.0.0.1\", port: {Port}, weight: {weight} }}";

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path != "/health")
        {
            Interlocked.Increment(ref _requests);
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay);
            }
        }

        context.Response.Headers["x-upstream"] = Name;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var arg = segments.Length > 1 && long.TryParse(segments[1], CultureInfo.InvariantCulture, out var n) ? n : 0;
        switch (segments.FirstOrDefault())
        {
            case "health":
                context.Response.StatusCode = HealthStatus;
                break;
            case "status":
                context.Response.StatusCode = (int)arg;
                await context.Response.WriteAsync($"status {arg} from {Name}");
                break;
            case "slow":
                await Task.Delay(TimeSpan.FromMilliseconds(arg), context.RequestAborted);
                await context.Response.WriteAsync("slow");
                break;
            case "count":
                long total = 0;
                var chunk = new byte[64 * 1024];
                int got;
                while ((got = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
                {
                    total += got;
                }

                await context.Response.WriteAsync(total.ToString(CultureInfo.InvariantCulture));
                break;
            case "echo":
                context.Response.ContentType = context.Request.ContentType;
                await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
                break;
            case "bytes":
                await WriteBytesAsync(context, arg);
                break;
            case "stream":
                for (var i = 0; i < arg; i++)
                {
                    await context.Response.WriteAsync($"chunk {i}\n");
                    await context.Response.Body.FlushAsync();
                    await Task.Delay(50);
                }

                break;
            case "trailers":
                context.Response.DeclareTrailer("x-trailer");
                await context.Response.WriteAsync("body");
                context.Response.AppendTrailer("x-trailer", "yes");
                break;
            case "request-trailers":
                var length = 0L;
                var part = new byte[16 * 1024];
                int n2;
                while ((n2 = await context.Request.Body.ReadAsync(part, context.RequestAborted)) > 0)
                {
                    length += n2;
                }

                var trailers = context.Features.Get<IHttpRequestTrailersFeature>()!.Trailers;
                await context.Response.WriteAsync($"body {length}; " + string.Join("; ", trailers.Select(t => $"{t.Key}={t.Value}")));
                break;
            case "ws":
                await WebSocketEchoAsync(context);
                break;
            default:
                await WriteHeadersAsync(context);
                break;
        }
    }

    private static async Task WriteBytesAsync(HttpContext context, long count)
    {
        context.Response.ContentLength = count;
        var buffer = new byte[64 * 1024];
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)(i % 251);
        }

        for (long sent = 0; sent < count;)
        {
            var n = (int)Math.Min(buffer.Length, count - sent);
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, n), context.RequestAborted);
            sent += n;
        }
    }

    private async Task WriteHeadersAsync(HttpContext context)
    {
        var request = context.Request;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{request.Method} {context.Features.Get<IHttpRequestFeature>()!.RawTarget} {request.Protocol}\n");
        foreach (var (key, value) in request.Headers)
        {
            text.Append(CultureInfo.InvariantCulture, $"{key.ToLowerInvariant()}: {value}\n");
        }

        long bodyLength = 0;
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            bodyLength += read;
        }

        text.Append(CultureInfo.InvariantCulture, $"body-length: {bodyLength}\nupstream: {Name}\n");
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(text.ToString());
    }

    private static async Task WebSocketEchoAsync(HttpContext context)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var key = context.Request.Headers["Sec-WebSocket-Key"].ToString();
        if (upgrade is not { IsUpgradableRequest: true } || key.Length == 0)
        {
            context.Response.StatusCode = 400;
            return;
        }

        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        context.Response.Headers["Upgrade"] = "websocket";
        context.Response.Headers["Sec-WebSocket-Accept"] = accept;
        var stream = await upgrade.UpgradeAsync();
        using var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true });
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, CancellationToken.None);
        }
    }
}
