using System.Diagnostics;
using Google.Protobuf;
using Knhk.Sidecar.V1;
using Knhk.Warm.V1;
using Microsoft.Extensions.Logging;
using Outrigger.Core.Telemetry;
using Outrigger.Gateway.Configuration;
using Outrigger.Gateway.Protocol;
using Outrigger.Gateway.Tls;
using Outrigger.Grpc;
using Outrigger.Grpc.Client;

namespace Outrigger.Gateway.Upstream;

/// <summary>
/// The gateway's connection to the warm orchestrator: one <see cref="GrpcChannel"/> (HTTP/2 connections reused across
/// calls), optional TLS/mTLS, a deadline per attempt and the current trace context in <c>traceparent</c>.
/// </summary>
internal sealed class WarmOrchestratorClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly TimeSpan _attemptTimeout;

    public WarmOrchestratorClient(UpstreamOptions options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        Endpoint = options.Endpoint;
        _attemptTimeout = options.AttemptTimeout;
        _channel = GrpcChannel.ForAddress(options.Endpoint, new GrpcChannelOptions
        {
            SslOptions = TlsFiles.Client(options.Tls),
            TimeProvider = time,
            LoggerFactory = loggerFactory,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
    }

    public string Endpoint { get; }

    public Task<BatchResponse> SubmitBatchAsync(BatchRequest request, CancellationToken cancellationToken) =>
        CallAsync(WarmOrchestratorMethods.SubmitBatch, request, cancellationToken);

    public Task<QueryResponse> SubmitQueryAsync(Query request, CancellationToken cancellationToken) =>
        CallAsync(WarmOrchestratorMethods.SubmitQuery, request, cancellationToken);

    public Task<HealthCheckResponse> HealthCheckAsync(CancellationToken cancellationToken) =>
        CallAsync(WarmOrchestratorMethods.HealthCheck, new HealthCheckRequest(), cancellationToken);

    public void Dispose() => _channel.Dispose();

    private async Task<TResponse> CallAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CancellationToken cancellationToken)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        Metadata? headers = null;
        TraceContext.Inject(Activity.Current, (key, value) => (headers ??= []).Add(key, value));
        var options = new CallOptions(headers, CancellationToken: cancellationToken) { Timeout = _attemptTimeout };
        using var call = _channel.AsyncUnaryCall(method, request, options);
        return await call.ResponseAsync.ConfigureAwait(false);
    }
}
