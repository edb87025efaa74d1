using System.Net.Http;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Outrigger.Grpc.Client;

/// <summary>Options of a <see cref="GrpcChannel"/>.</summary>
public sealed class GrpcChannelOptions
{
    /// <summary>
    /// A handler to send requests through instead of the channel's own <see cref="SocketsHttpHandler"/>; when set, the
    /// connection options below (TLS, keepalive, connections) are not applied. Default null.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>Whether disposing the channel disposes <see cref="HttpHandler"/>. Default true.</summary>
    public bool DisposeHttpHandler { get; set; } = true;

    /// <summary>TLS settings for <c>https</c> addresses: client certificates (mTLS), server certificate validation, target host. Default null (system trust).</summary>
    public SslClientAuthenticationOptions? SslOptions { get; set; }

    /// <summary>Idle time after which an HTTP/2 PING checks the connection; <see cref="Timeout.InfiniteTimeSpan"/> turns pings off. Default 60 s.</summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a keepalive PING may go unanswered before the connection is closed. Default 20 s.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Whether pings are sent only while calls are active (the gRPC default) or always. Default: only with active calls.</summary>
    public HttpKeepAlivePingPolicy KeepAlivePingPolicy { get; set; } = HttpKeepAlivePingPolicy.WithActiveRequests;

    /// <summary>Open more HTTP/2 connections when one reaches the server's stream limit. Default true.</summary>
    public bool EnableMultipleHttp2Connections { get; set; } = true;

    /// <summary>Time allowed to open a connection. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest response message accepted, in bytes (after decompression). Default 4 MiB; null = no limit.</summary>
    public int? MaxReceiveMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest request message sent, in bytes. Default null (no limit).</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>Compression of request messages for every call (<c>"gzip"</c>), unless a call says otherwise. Default null (none).</summary>
    public string? CompressionAlgorithm { get; set; }

    /// <summary>Clock for <see cref="CallOptions.Timeout"/> and deadlines. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;
}
