using System.Collections.Frozen;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Outrigger.Grpc.Protocol;

namespace Outrigger.Grpc.Server;

/// <summary>
/// The methods a gRPC server serves, by full name, and the <see cref="RequestDelegate"/> that serves them. Host it
/// with <c>Outrigger.Core.Hosting.HttpServer</c> on an HTTP/2 listener (h2c: <c>HttpProtocols.Http2</c>; or TLS).
/// Register every method before serving; adding later is safe but meant for start-up.
/// </summary>
public sealed partial class GrpcServiceRegistry
{
    private readonly ServerRuntime _runtime;
    private readonly Lock _lock = new();
    private FrozenDictionary<string, ServerMethodHandler> _handlers = FrozenDictionary<string, ServerMethodHandler>.Empty;

    public GrpcServiceRegistry(GrpcServerOptions? options = null)
    {
        _runtime = new ServerRuntime(options ?? new GrpcServerOptions());
        RequestDelegate = HandleAsync;
    }

    /// <summary>Serves every registered method; pass it to <c>HttpServer.StartAsync</c>.</summary>
    public RequestDelegate RequestDelegate { get; }

    public GrpcServerOptions Options => _runtime.Options;

    /// <summary>The registered methods.</summary>
    public IReadOnlyCollection<IMethod> Methods
    {
        get
        {
            var handlers = _handlers.Values;
            var methods = new IMethod[handlers.Length];
            for (var i = 0; i < methods.Length; i++)
            {
                methods[i] = handlers[i].Method;
            }

            return methods;
        }
    }

    /// <summary>The distinct fully-qualified names of the registered services.</summary>
    public IReadOnlyCollection<string> ServiceNames
    {
        get
        {
            var names = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var handler in _handlers.Values)
            {
                names.Add(handler.Method.ServiceName);
            }

            return names;
        }
    }

    public GrpcServiceRegistry AddUnary<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Add(method, MethodType.Unary, new UnaryMethodHandler<TRequest, TResponse>(method, handler), handler);

    public GrpcServiceRegistry AddServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Add(method, MethodType.ServerStreaming, new ServerStreamingMethodHandler<TRequest, TResponse>(method, handler), handler);

    public GrpcServiceRegistry AddClientStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Add(method, MethodType.ClientStreaming, new ClientStreamingMethodHandler<TRequest, TResponse>(method, handler), handler);

    public GrpcServiceRegistry AddDuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        Add(method, MethodType.DuplexStreaming, new DuplexStreamingMethodHandler<TRequest, TResponse>(method, handler), handler);

    /// <summary>Serves one HTTP request: a gRPC call, or an HTTP error for anything that is not one.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            if (_runtime.Options.NonGrpcRequestHandler is { } fallback)
            {
                await fallback(context).ConfigureAwait(false);
                return;
            }

            await RejectAsync(context, StatusCodes.Status415UnsupportedMediaType, $"Content-Type '{request.ContentType}' is not supported; gRPC requests use application/grpc.").ConfigureAwait(false);
            return;
        }

        if (!HttpProtocol.IsHttp2(request.Protocol) && !HttpProtocol.IsHttp3(request.Protocol))
        {
            await RejectAsync(context, StatusCodes.Status426UpgradeRequired, $"Request protocol '{request.Protocol}' is not supported; gRPC needs HTTP/2.").ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            await RejectAsync(context, StatusCodes.Status405MethodNotAllowed, $"Method '{request.Method}' is not supported; gRPC requests use POST.").ConfigureAwait(false);
            return;
        }

        if (!_handlers.TryGetValue(request.Path.Value ?? string.Empty, out var handler))
        {
            Log.Unimplemented(_runtime.Logger, request.Path.Value ?? string.Empty);
            await WriteTrailersOnlyAsync(context, new Status(StatusCode.Unimplemented, UnimplementedDetail(request.Path.Value))).ConfigureAwait(false);
            return;
        }

        var call = new ServerCall(context, handler.Method, _runtime);
        if (call.Initialize() is { } invalid)
        {
            if (invalid.StatusCode == StatusCode.Unimplemented)
            {
                context.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.SupportedEncodings;
            }

            await call.CompleteAsync(invalid).ConfigureAwait(false);
            return;
        }

        await call.RunAsync(handler).ConfigureAwait(false);
    }

    private GrpcServiceRegistry Add(IMethod method, MethodType expected, ServerMethodHandler handler, Delegate callback)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(callback);
        if (method.Type != expected)
        {
            throw new ArgumentException($"Method {method.FullName} is {method.Type}; register it with the matching Add method, not as {expected}.", nameof(method));
        }

        lock (_lock)
        {
            if (_handlers.ContainsKey(method.FullName))
            {
                throw new ArgumentException($"Method {method.FullName} is already registered.", nameof(method));
            }

            var copy = new Dictionary<string, ServerMethodHandler>(_handlers, StringComparer.Ordinal) { [method.FullName] = handler };
            _handlers = copy.ToFrozenDictionary(StringComparer.Ordinal);
        }

        return this;
    }

    private string UnimplementedDetail(string? path)
    {
        var service = path is { Length: > 1 } && path.IndexOf('/', 1) is var slash and > 0 ? path[1..slash] : path ?? string.Empty;
        foreach (var handler in _handlers.Values)
        {
            if (handler.Method.ServiceName == service)
            {
                return $"Method is unimplemented: {path}";
            }
        }

        return $"Service is unimplemented: {service}";
    }

    private static Task WriteTrailersOnlyAsync(HttpContext context, Status status)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.StatusHeader] = ((int)status.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers[GrpcProtocol.MessageHeader] = PercentEncoding.Encode(status.Detail);
        return response.CompleteAsync();
    }

    private static Task RejectAsync(HttpContext context, int httpStatus, string message)
    {
        var response = context.Response;
        response.StatusCode = httpStatus;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers[GrpcProtocol.StatusHeader] = ((int)StatusCode.Internal).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers[GrpcProtocol.MessageHeader] = PercentEncoding.Encode(message);
        return response.WriteAsync(message + "\n");
    }
}
