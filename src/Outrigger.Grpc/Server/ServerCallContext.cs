using Microsoft.AspNetCore.Http;

namespace Outrigger.Grpc.Server;

/// <summary>What a server handler knows about its call, and what it can set on the response.</summary>
public sealed class ServerCallContext
{
    private readonly ServerCall _call;

    internal ServerCallContext(ServerCall call)
    {
        _call = call;
    }

    internal ServerCall Call => _call;

    /// <summary>The full method name, e.g. <c>/grpc.health.v1.Health/Check</c>.</summary>
    public string Method => _call.Method.FullName;

    /// <summary>The <c>:authority</c> of the request.</summary>
    public string Host => _call.HttpContext.Request.Host.Value ?? string.Empty;

    /// <summary>The client's address, e.g. <c>ipv4:127.0.0.1:53122</c>.</summary>
    public string Peer => _call.Peer;

    /// <summary>When the call expires (UTC), from <c>grpc-timeout</c>; <see cref="DateTime.MaxValue"/> without one.</summary>
    public DateTime Deadline => _call.Deadline;

    /// <summary>The client's metadata (reserved <c>grpc-*</c> and HTTP/2 headers excluded).</summary>
    public Metadata RequestHeaders => _call.RequestHeaders;

    /// <summary>Metadata sent in the trailers with the status.</summary>
    public Metadata ResponseTrailers => _call.ResponseTrailers;

    /// <summary>The status sent when the handler returns normally (default OK). Throw <see cref="RpcException"/> instead to stop at once.</summary>
    public Status Status { get; set; } = Status.DefaultSuccess;

    /// <summary>Fires when the client cancels, the connection drops or the deadline passes.</summary>
    public CancellationToken CancellationToken => _call.CancellationToken;

    /// <summary>Default options of the response messages (e.g. <see cref="WriteFlags.NoCompress"/>).</summary>
    public WriteOptions? WriteOptions { get; set; }

    /// <summary>
    /// Compression of this call's responses: <c>"gzip"</c> or null. Starts from the server option, or null when the
    /// client does not accept it; set it before the first response message is written.
    /// </summary>
    public string? ResponseCompressionAlgorithm
    {
        get => _call.ResponseEncoding;
        set => _call.SetResponseEncoding(value);
    }

    /// <summary>The underlying HTTP request (connection, client certificate, features).</summary>
    public HttpContext GetHttpContext() => _call.HttpContext;

    /// <summary>Sends the response headers now with <paramref name="responseHeaders"/>; at most once, before any message.</summary>
    public Task WriteResponseHeadersAsync(Metadata responseHeaders) => _call.WriteResponseHeadersAsync(responseHeaders);
}
