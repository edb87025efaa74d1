using System.Runtime.CompilerServices;

namespace Outrigger.Grpc.Client;

/// <summary>A unary call in progress. Await it for the response; dispose it to cancel it.</summary>
public sealed class AsyncUnaryCall<TResponse> : IDisposable
{
    private readonly IClientCall _call;

    internal AsyncUnaryCall(IClientCall call, Task<TResponse> responseAsync)
    {
        _call = call;
        ResponseAsync = responseAsync;
    }

    /// <summary>The response; faults with <see cref="RpcException"/> when the call fails.</summary>
    public Task<TResponse> ResponseAsync { get; }

    /// <summary>The server's response headers (initial metadata).</summary>
    public Task<Metadata> ResponseHeadersAsync => _call.ResponseHeadersAsync;

    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();

    /// <summary>The final status; only once the call has ended.</summary>
    public Status GetStatus() => _call.GetStatus();

    /// <summary>The trailing metadata; only once the call has ended.</summary>
    public Metadata GetTrailers() => _call.GetTrailers();

    public void Dispose() => _call.Dispose();
}

/// <summary>A server-streaming call in progress. Read <see cref="ResponseStream"/>; dispose to cancel.</summary>
public sealed class AsyncServerStreamingCall<TResponse> : IDisposable
{
    private readonly IClientCall _call;

    internal AsyncServerStreamingCall(IClientCall call, IAsyncStreamReader<TResponse> responseStream)
    {
        _call = call;
        ResponseStream = responseStream;
    }

    public IAsyncStreamReader<TResponse> ResponseStream { get; }

    public Task<Metadata> ResponseHeadersAsync => _call.ResponseHeadersAsync;

    public Status GetStatus() => _call.GetStatus();

    public Metadata GetTrailers() => _call.GetTrailers();

    public void Dispose() => _call.Dispose();
}

/// <summary>A client-streaming call in progress: write to <see cref="RequestStream"/>, complete it, await the response.</summary>
public sealed class AsyncClientStreamingCall<TRequest, TResponse> : IDisposable
{
    private readonly IClientCall _call;

    internal AsyncClientStreamingCall(IClientCall call, IClientStreamWriter<TRequest> requestStream, Task<TResponse> responseAsync)
    {
        _call = call;
        RequestStream = requestStream;
        ResponseAsync = responseAsync;
    }

    public IClientStreamWriter<TRequest> RequestStream { get; }

    public Task<TResponse> ResponseAsync { get; }

    public Task<Metadata> ResponseHeadersAsync => _call.ResponseHeadersAsync;

    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();

    public Status GetStatus() => _call.GetStatus();

    public Metadata GetTrailers() => _call.GetTrailers();

    public void Dispose() => _call.Dispose();
}

/// <summary>A bidirectional streaming call in progress; dispose to cancel.</summary>
public sealed class AsyncDuplexStreamingCall<TRequest, TResponse> : IDisposable
{
    private readonly IClientCall _call;

    internal AsyncDuplexStreamingCall(IClientCall call, IClientStreamWriter<TRequest> requestStream, IAsyncStreamReader<TResponse> responseStream)
    {
        _call = call;
        RequestStream = requestStream;
        ResponseStream = responseStream;
    }

    public IClientStreamWriter<TRequest> RequestStream { get; }

    public IAsyncStreamReader<TResponse> ResponseStream { get; }

    public Task<Metadata> ResponseHeadersAsync => _call.ResponseHeadersAsync;

    public Status GetStatus() => _call.GetStatus();

    public Metadata GetTrailers() => _call.GetTrailers();

    public void Dispose() => _call.Dispose();
}
