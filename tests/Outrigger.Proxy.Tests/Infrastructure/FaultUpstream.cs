using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Core.Hosting;

namespace Outrigger.Proxy.Tests.Infrastructure;

/// <summary>What a <see cref="FaultUpstream"/> does with one request.</summary>
public enum Fault
{
    /// <summary>200 with a body naming the upstream (or the request body echoed back).</summary>
    Ok,

    /// <summary>Answers <see cref="FaultUpstream.Status"/> (default 503), with <see cref="FaultUpstream.RetryAfter"/> when set.</summary>
    Error,

    /// <summary>Closes the connection without answering.</summary>
    Reset,

    /// <summary>Never answers (until the proxy gives up).</summary>
    Hang,
}

/// <summary>
/// A real Kestrel upstream whose answers are scripted: each request takes the next fault from <see cref="Script"/>, or
/// <see cref="Mode"/> when the script is empty; <see cref="Delay"/> is waited first. Counts requests and keeps their bodies.
/// Every response carries <c>x-upstream: NAME</c>.
/// </summary>
internal sealed class FaultUpstream : IAsyncDisposable
{
    private HttpServer _server = null!;
    private int _requests;

    private FaultUpstream(string name) => Name = name;

    public string Name { get; }

    public int Port => _server.EndPoints[0].Port;

    public int Requests => Volatile.Read(ref _requests);

    public Fault Mode { get; set; }

    public ConcurrentQueue<Fault> Script { get; } = new();

    public int Status { get; set; } = 503;

    public string? RetryAfter { get; set; }

    public TimeSpan Delay { get; set; }

    /// <summary>Bodies received, in order.</summary>
    public ConcurrentQueue<string> Bodies { get; } = new();

    /// <summary>Request headers of every request, in order (name: value, lower case names).</summary>
    public ConcurrentQueue<IHeaderDictionary> Headers { get; } = new();

    public static async Task<FaultUpstream> StartAsync(string name, Fault mode = Fault.Ok, HttpProtocols protocols = HttpProtocols.Http1)
    {
        var upstream = new FaultUpstream(name) { Mode = mode };
        upstream._server = await HttpServer.StartAsync([new ListenEndpoint(new IPEndPoint(IPAddress.Loopback, 0), protocols)], upstream.HandleAsync, NullLoggerFactory.Instance);
        return upstream;
    }

    public string Endpoint(int weight = 1) => $"{{ address: \"127.0.0.1\", port: {Port}, weight: {weight} }}";

    /// <summary>A loopback port with nothing listening (connections are refused).</summary>
    public static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        Headers.Enqueue(new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value)));
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        Bodies.Enqueue(body);
        var fault = Script.TryDequeue(out var next) ? next : Mode;
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        context.Response.Headers["x-upstream"] = Name;
        switch (fault)
        {
            case Fault.Error:
                context.Response.StatusCode = Status;
                if (RetryAfter is not null)
                {
                    context.Response.Headers.RetryAfter = RetryAfter;
                }

                await context.Response.WriteAsync($"error {Status} from {Name}");
                break;
            case Fault.Reset:
                context.Abort();
                break;
            case Fault.Hang:
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                break;
            default:
                await context.Response.WriteAsync(body.Length > 0 ? body : $"ok from {Name}");
                break;
        }
    }
}
