using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Outrigger.Grpc.Server;

/// <summary>Options of a <see cref="GrpcServiceRegistry"/>.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>Largest request message accepted, in bytes (after decompression). Default 4 MiB; null = no limit. Larger messages fail the call with RESOURCE_EXHAUSTED.</summary>
    public int? MaxReceiveMessageSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest response message sent, in bytes. Default null (no limit). Larger messages fail the call with RESOURCE_EXHAUSTED.</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary>
    /// Compression of responses (<c>"gzip"</c>) when the client's <c>grpc-accept-encoding</c> allows it. Default null
    /// (uncompressed). A handler can override it per call with <see cref="ServerCallContext.ResponseCompressionAlgorithm"/>.
    /// </summary>
    public string? ResponseCompressionAlgorithm { get; set; }

    /// <summary>When true, the message of an unexpected handler exception is sent to the client. Default false.</summary>
    public bool EnableDetailedErrors { get; set; }

    /// <summary>Clock for deadlines. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Logs of calls that fail on the server side. Default: no logging.</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>
    /// Serves requests that are not gRPC (no <c>application/grpc</c> content type), so one listener can also answer
    /// plain HTTP. Default null: such requests get HTTP 415.
    /// </summary>
    public RequestDelegate? NonGrpcRequestHandler { get; set; }
}
