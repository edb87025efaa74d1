using System.Diagnostics;
using System.Diagnostics.Metrics;
using Outrigger.Core.Telemetry;
using Outrigger.Gateway.Batching;
using Outrigger.Gateway.Resilience;

namespace Outrigger.Gateway.Telemetry;

/// <summary>
/// The gateway's instruments, with the spec's names: <c>batch_size</c>, <c>batch_flush_count</c>, <c>retry_count</c>,
/// <c>circuit_breaker_state</c>, plus request latency. One instance per running module (its meter is disposed with it).
/// </summary>
internal sealed class GatewayTelemetry : IDisposable
{
    public const string Module = "Gateway";

    private readonly Meter _meter;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _flushes;
    private readonly Counter<long> _retries;
    private readonly Histogram<double> _requestDuration;

    public GatewayTelemetry(Func<BreakerState> breakerState)
    {
        _meter = OutriggerTelemetry.CreateMeter(Module);
        _batchSize = _meter.CreateHistogram(
            "batch_size", "{transaction}", "Transactions per batch sent to the warm orchestrator.", tags: null,
            new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 3, 4, 5, 6, 7, 8] });
        _flushes = _meter.CreateCounter<long>("batch_flush_count", "{batch}", "Batches sent, by reason (size, timeout, shutdown).");
        _retries = _meter.CreateCounter<long>("retry_count", "{retry}", "Retried attempts to the warm orchestrator, by operation (batch, query).");
        _meter.CreateObservableGauge("circuit_breaker_state", () => (int)breakerState(), "{state}", "Breaker to the warm orchestrator: 0 closed, 1 open, 2 half-open.");
        _requestDuration = _meter.CreateLatencyHistogram("gateway_request_duration_seconds", "KgcSidecar request latency, by method and status.");
    }

    /// <summary>This module's meter (tests listen to it alone).</summary>
    internal Meter Meter => _meter;

    /// <summary>Spans: one per request (<c>KgcSidecar/…</c>) and one per batch (<c>gateway.batch</c>).</summary>
    public static ActivitySource Source { get; } = OutriggerTelemetry.CreateActivitySource(Module);

    public void BatchFlushed(int size, FlushReason reason)
    {
        _batchSize.Record(size);
        _flushes.Add(1, new KeyValuePair<string, object?>("reason", Reason(reason)));
    }

    public void Retried(string operation) => _retries.Add(1, new KeyValuePair<string, object?>("operation", operation));

    public void RequestCompleted(string method, string status, TimeSpan elapsed) =>
        _requestDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("method", method), new KeyValuePair<string, object?>("status", status));

    public void Dispose() => _meter.Dispose();

    private static string Reason(FlushReason reason) => reason switch
    {
        FlushReason.Size => "size",
        FlushReason.Timeout => "timeout",
        _ => "shutdown",
    };
}
