using System.Net;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Outrigger.Grpc.Protocol;

namespace Outrigger.Grpc.Client;

/// <summary>
/// A client connection to one gRPC server address (<c>http://</c> for h2c, <c>https://</c> for TLS) over
/// <see cref="SocketsHttpHandler"/>: calls share few HTTP/2 connections, opened on demand. Thread-safe; create one per
/// server and reuse it.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly HttpMessageInvoker _invoker;

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"Address '{address}' must use http (h2c) or https (TLS).", nameof(address));
        }

        if (options.CompressionAlgorithm is { } compression && !string.Equals(compression, GrpcProtocol.Gzip, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"Unsupported compression '{compression}'; use \"gzip\" or null.", nameof(options));
        }

        Address = address;
        Options = options;
        Logger = options.LoggerFactory.CreateLogger("Outrigger.Grpc.Client");
        var handler = options.HttpHandler ?? CreateHandler(options);
        _invoker = new HttpMessageInvoker(handler, disposeHandler: options.HttpHandler is null || options.DisposeHttpHandler);
    }

    public Uri Address { get; }

    internal GrpcChannelOptions Options { get; }

    internal ILogger Logger { get; }

    internal HttpMessageInvoker Invoker => _invoker;

    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null) =>
        ForAddress(new Uri(address, UriKind.Absolute), options);

    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new GrpcChannel(address, options ?? new GrpcChannelOptions());
    }

    /// <summary>Starts a unary call; await it (or <see cref="AsyncUnaryCall{TResponse}.ResponseAsync"/>) for the response.</summary>
    public AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = new ClientCall<TRequest, TResponse>(this, Check(method, MethodType.Unary), options);
        call.StartUnary(request);
        return new AsyncUnaryCall<TResponse>(call, call.ReadSingleResponseAsync());
    }

    /// <summary>Starts a server-streaming call; read <see cref="AsyncServerStreamingCall{TResponse}.ResponseStream"/>.</summary>
    public AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = new ClientCall<TRequest, TResponse>(this, Check(method, MethodType.ServerStreaming), options);
        call.StartUnary(request);
        return new AsyncServerStreamingCall<TResponse>(call, new ResponseStreamReader<TRequest, TResponse>(call));
    }

    /// <summary>Starts a client-streaming call: write the requests, complete the stream, await the response.</summary>
    public AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = new ClientCall<TRequest, TResponse>(this, Check(method, MethodType.ClientStreaming), options);
        var writer = call.StartStreaming();
        return new AsyncClientStreamingCall<TRequest, TResponse>(call, writer, call.ReadSingleResponseAsync());
    }

    /// <summary>Starts a bidirectional streaming call.</summary>
    public AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = new ClientCall<TRequest, TResponse>(this, Check(method, MethodType.DuplexStreaming), options);
        var writer = call.StartStreaming();
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(call, writer, new ResponseStreamReader<TRequest, TResponse>(call));
    }

    public void Dispose() => _invoker.Dispose();

    private static Method<TRequest, TResponse> Check<TRequest, TResponse>(Method<TRequest, TResponse> method, MethodType expected)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(method);
        return method.Type == expected
            ? method
            : throw new ArgumentException($"Method {method.FullName} is {method.Type}; it cannot be called as {expected}.", nameof(method));
    }

    private static SocketsHttpHandler CreateHandler(GrpcChannelOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = options.EnableMultipleHttp2Connections,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = options.KeepAlivePingPolicy,
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
        };
        if (options.SslOptions is { } ssl)
        {
            handler.SslOptions = ssl;
        }

        return handler;
    }
}
