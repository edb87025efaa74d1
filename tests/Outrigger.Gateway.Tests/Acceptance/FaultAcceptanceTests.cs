using System.Diagnostics.Metrics;
using Outrigger.Gateway.Tests.Fakes;
using static Outrigger.Gateway.Tests.Acceptance.PythonKgcClient;

namespace Outrigger.Gateway.Tests.Acceptance;

/// <summary>Retries, idempotency and the breaker against a controllable orchestrator (fast retries, short breaks).</summary>
public sealed class FaultAcceptanceTests
{
    [Fact]
    public async Task SubmitTransaction_TransientFailures_AreRetriedAndEachTransactionIsAppliedExactlyOnce()
    {
        await using var harness = await GatewayHarness.StartAsync();
        using var metrics = new MetricRecorder(harness.Gateway.Telemetry.Meter);
        harness.Faults.Script(Fault.UnavailableBefore, Fault.UnavailableAfter);

        var results = await RunAsync(harness.Target, [Transaction((1, 10, 1)), Transaction((2, 10, 2)), Transaction((3, 10, 3))]);

        Assert.All(results, r => Assert.Equal("OK", r.Code));
        Assert.Equal(3, harness.Faults.SubmitBatchCalls);
        Assert.Equal(1UL, harness.Orchestrator.Store.Sequence);
        Assert.Single(results.Select(r => r.ReceiptField("ticks")).Distinct());
        var direct = await RunAsync(harness.OrchestratorTarget, [Query("SELECT ?s WHERE { ?s <urn:knhk:10> ?o }")], "knhk.warm.v1.WarmOrchestrator");
        Assert.Equal(3, direct[0].Response!["bindings"]!.AsArray().Count);
        Assert.Equal(2, metrics.Sum("retry_count"));
        Assert.Equal(1, metrics.Sum("batch_flush_count"));
    }

    [Fact]
    public async Task Breaker_FiveConsecutiveFailures_OpenIt_CallsFailFast_ThenOneProbeAfterTheBreakClosesIt()
    {
        // The break is long enough for the fail-fast checks below to finish inside it on a busy machine.
        var breakDuration = TimeSpan.FromSeconds(6);
        await using var harness = await GatewayHarness.StartAsync(GatewayHarness.FastOptions(batchTimeoutMs: 10, breakMs: (int)breakDuration.TotalMilliseconds));
        using var metrics = new MetricRecorder(harness.Gateway.Telemetry.Meter);
        harness.Faults.Down = true;

        // Four attempts (0, 10, 20, 40 ms) all fail: the call fails, the breaker is still closed.
        var first = Assert.Single(await RunAsync(harness.Target, [Transaction((1, 1, 1))]));
        Assert.Equal("UNAVAILABLE", first.Code);
        Assert.Contains($"warm orchestrator {harness.Faults.Endpoint}", first.Details, StringComparison.Ordinal);
        Assert.Equal(4, harness.Faults.SubmitBatchCalls);
        Assert.Equal("closed", (string)harness.Gateway.GetHealth().Detail!["circuit_breaker"]!);

        // The fifth consecutive failure opens it; the retry after it is refused by the breaker.
        var second = Assert.Single(await RunAsync(harness.Target, [Transaction((2, 2, 2))]));
        var opened = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("UNAVAILABLE", second.Code);
        Assert.Contains("circuit breaker", second.Details, StringComparison.Ordinal);
        Assert.Equal(5, harness.Faults.SubmitBatchCalls);

        // Open: transactions and queries fail at once, without reaching the orchestrator.
        var fast = await RunAsync(harness.Target, [Transaction((3, 3, 3)), Query("ASK { ?s ?p ?o }"), HealthCheck()]);
        Assert.Equal("UNAVAILABLE", fast[0].Code);
        Assert.StartsWith($"circuit breaker to the warm orchestrator {harness.Faults.Endpoint} is open; retry after", fast[0].Details, StringComparison.Ordinal);
        Assert.Equal("UNAVAILABLE", fast[1].Code);
        Assert.Contains("is open", fast[1].Details, StringComparison.Ordinal);
        Assert.Equal(false, (bool?)fast[2].Response!["healthy"]);
        Assert.Contains("circuit breaker open", (string)fast[2].Response!["message"]!, StringComparison.Ordinal);
        Assert.Equal(5, harness.Faults.SubmitBatchCalls);
        Assert.Equal(1, metrics.Last("circuit_breaker_state"));
        var health = harness.Gateway.GetHealth();
        Assert.True(health.Ready);
        Assert.Equal("open", (string)health.Detail!["circuit_breaker"]!);

        // After the break one probe goes through; its success closes the breaker.
        harness.Faults.Down = false;
        Assert.True(opened.Elapsed < breakDuration, $"the fail-fast checks took {opened.Elapsed}, longer than the break");
        await Task.Delay(breakDuration - opened.Elapsed + TimeSpan.FromMilliseconds(200));
        var probe = Assert.Single(await RunAsync(harness.Target, [Transaction((4, 4, 4))]));
        Assert.Equal("OK", probe.Code);
        Assert.Equal(6, harness.Faults.SubmitBatchCalls);
        Assert.Equal("closed", (string)harness.Gateway.GetHealth().Detail!["circuit_breaker"]!);
        Assert.Equal(0, metrics.Last("circuit_breaker_state"));
        Assert.Equal(1, harness.Orchestrator.Store.QuadCount);
    }

    [Fact]
    public async Task Gateway_OrchestratorDown_StaysReadyAndHealthCheckNamesTheOrchestrator()
    {
        await using var harness = await GatewayHarness.StartAsync();
        harness.Faults.Down = true;

        var health = Assert.Single(await RunAsync(harness.Target, [HealthCheck()]));

        Assert.Equal("OK", health.Code);
        Assert.Equal(false, (bool?)health.Response!["healthy"]);
        Assert.Equal($"warm orchestrator {harness.Faults.Endpoint} is unreachable (Unavailable: injected: orchestrator unavailable); circuit breaker closed", (string)health.Response["message"]!);
        Assert.True(harness.Gateway.GetHealth().Ready);
    }

    /// <summary>Listens to one module's meter only (other tests run gateways in parallel).</summary>
    private sealed class MetricRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Name, double Value)> _measurements = [];

        public MetricRecorder(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, _, _) => Record(i.Name, v));
            _listener.SetMeasurementEventCallback<int>((i, v, _, _) => Record(i.Name, v));
            _listener.SetMeasurementEventCallback<double>((i, v, _, _) => Record(i.Name, v));
            _listener.Start();
        }

        public double Sum(string name)
        {
            lock (_measurements)
            {
                return _measurements.Where(m => m.Name == name).Sum(m => m.Value);
            }
        }

        public double Last(string name)
        {
            _listener.RecordObservableInstruments();
            lock (_measurements)
            {
                return _measurements.Last(m => m.Name == name).Value;
            }
        }

        public void Dispose() => _listener.Dispose();

        private void Record(string name, double value)
        {
            lock (_measurements)
            {
                _measurements.Add((name, value));
            }
        }
    }
}
