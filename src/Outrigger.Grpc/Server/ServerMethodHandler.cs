using Google.Protobuf;

namespace Outrigger.Grpc.Server;

/// <summary>Binds one method descriptor to its handler delegate; one subclass per method kind.</summary>
internal abstract class ServerMethodHandler(IMethod method)
{
    public IMethod Method { get; } = method;

    public abstract Task HandleAsync(ServerCall call);

    protected static TResponse CheckResponse<TResponse>(TResponse? response)
        where TResponse : class =>
        response ?? throw new InvalidOperationException("The handler returned a null response.");
}

internal sealed class UnaryMethodHandler<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
    : ServerMethodHandler(method)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public override async Task HandleAsync(ServerCall call)
    {
        var request = await call.ReadSingleRequestAsync(method.RequestParser).ConfigureAwait(false);
        var response = CheckResponse(await handler(request, call.Context).ConfigureAwait(false));
        if (call.Context.Status.StatusCode == StatusCode.OK)
        {
            await call.WriteResponseAsync(response, null, flush: false, call.CancellationToken).ConfigureAwait(false);
        }
    }
}

internal sealed class ServerStreamingMethodHandler<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler)
    : ServerMethodHandler(method)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public override async Task HandleAsync(ServerCall call)
    {
        var request = await call.ReadSingleRequestAsync(method.RequestParser).ConfigureAwait(false);
        await handler(request, new ResponseStreamWriter<TResponse>(call), call.Context).ConfigureAwait(false);
    }
}

internal sealed class ClientStreamingMethodHandler<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler)
    : ServerMethodHandler(method)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public override async Task HandleAsync(ServerCall call)
    {
        var response = CheckResponse(await handler(new RequestStreamReader<TRequest>(call, method.RequestParser), call.Context).ConfigureAwait(false));
        if (call.Context.Status.StatusCode == StatusCode.OK)
        {
            await call.WriteResponseAsync(response, null, flush: false, call.CancellationToken).ConfigureAwait(false);
        }
    }
}

internal sealed class DuplexStreamingMethodHandler<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler)
    : ServerMethodHandler(method)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public override Task HandleAsync(ServerCall call) =>
        handler(new RequestStreamReader<TRequest>(call, method.RequestParser), new ResponseStreamWriter<TResponse>(call), call.Context);
}
