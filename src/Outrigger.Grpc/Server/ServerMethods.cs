namespace Outrigger.Grpc.Server;

/// <summary>Handles a unary call: one request in, one response out.</summary>
public delegate Task<TResponse> UnaryServerMethod<in TRequest, TResponse>(TRequest request, ServerCallContext context);

/// <summary>Handles a server-streaming call: one request in, a stream of responses out.</summary>
public delegate Task ServerStreamingServerMethod<in TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context);

/// <summary>Handles a client-streaming call: a stream of requests in, one response out.</summary>
public delegate Task<TResponse> ClientStreamingServerMethod<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context);

/// <summary>Handles a bidirectional streaming call.</summary>
public delegate Task DuplexStreamingServerMethod<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context);
