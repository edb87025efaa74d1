using System.Collections.Concurrent;
using Knhk.Sidecar.V1;
using Knhk.Warm.V1;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Outrigger.Core.Hosting;
using Outrigger.Gateway.Protocol;
using Outrigger.Grpc;
using Outrigger.Grpc.Client;
using Outrigger.Grpc.Server;

namespace Outrigger.Gateway.Tests.Fakes;

/// <summary>What the controllable orchestrator does with one SubmitBatch call.</summary>
internal enum Fault
{
    /// <summary>Forward to the real orchestrator and answer its response.</summary>
    None,

    /// <summary>Answer UNAVAILABLE without forwarding (the batch is not applied).</summary>
    UnavailableBefore,

    /// <summary>Forward (the batch is applied), then answer UNAVAILABLE as if the response were lost.</summary>
    UnavailableAfter,
}

/// <summary>
/// A WarmOrchestrator in front of the real one that fails on command: a script of faults for the next SubmitBatch calls,
/// or <see cref="Down"/> for every call. Records every SubmitBatch it receives.
/// </summary>
internal sealed class FaultyOrchestrator : IAsyncDisposable
{
    private readonly GrpcChannel _real;
    private readonly ConcurrentQueue<Fault> _script = new();
    private HttpServer _server = null!;
    private volatile bool _down;

    private FaultyOrchestrator(string realEndpoint)
    {
        _real = GrpcChannel.ForAddress(realEndpoint);
    }

    /// <summary>When true, every call answers UNAVAILABLE.</summary>
    public bool Down
    {
        get => _down;
        set => _down = value;
    }

    public ConcurrentQueue<int> BatchSizes { get; } = new();

    public int SubmitBatchCalls => BatchSizes.Count;

    public string Endpoint => $"http://127.0.0.1:{_server.EndPoints[0].Port}";

    public static async Task<FaultyOrchestrator> StartAsync(string realEndpoint)
    {
        var faulty = new FaultyOrchestrator(realEndpoint);
        var registry = new GrpcServiceRegistry();
        registry.AddUnary(WarmOrchestratorMethods.SubmitBatch, faulty.SubmitBatchAsync);
        registry.AddUnary(WarmOrchestratorMethods.SubmitQuery, (q, c) => faulty.ForwardAsync(WarmOrchestratorMethods.SubmitQuery, q, c));
        registry.AddUnary(WarmOrchestratorMethods.HealthCheck, (h, c) => faulty.ForwardAsync(WarmOrchestratorMethods.HealthCheck, h, c));
        faulty._server = await HttpServer.StartAsync([ListenEndpoint.Parse("127.0.0.1:0", HttpProtocols.Http2)], registry.RequestDelegate, NullLoggerFactory.Instance);
        return faulty;
    }

    public void Script(params Fault[] faults)
    {
        foreach (var fault in faults)
        {
            _script.Enqueue(fault);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _real.Dispose();
    }

    private async Task<BatchResponse> SubmitBatchAsync(BatchRequest request, ServerCallContext context)
    {
        BatchSizes.Enqueue(request.Items.Count);
        var fault = _script.TryDequeue(out var next) ? next : Fault.None;
        if (Down || fault == Fault.UnavailableBefore)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "injected: orchestrator unavailable"));
        }

        var response = await ForwardAsync(WarmOrchestratorMethods.SubmitBatch, request, context);
        return fault == Fault.UnavailableAfter ? throw new RpcException(new Status(StatusCode.Unavailable, "injected: response lost after commit")) : response;
    }

    private async Task<TResponse> ForwardAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, ServerCallContext context)
        where TRequest : class, Google.Protobuf.IMessage<TRequest>
        where TResponse : class, Google.Protobuf.IMessage<TResponse>
    {
        if (Down)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "injected: orchestrator unavailable"));
        }

        using var call = _real.AsyncUnaryCall(method, request, new CallOptions(context.RequestHeaders, CancellationToken: context.CancellationToken));
        return await call.ResponseAsync;
    }
}
