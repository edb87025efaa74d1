using System.Diagnostics.Metrics;
using Outrigger.Core.Telemetry;

namespace Outrigger.Core.Tests.Telemetry;

public sealed class PrometheusTextWriterTests : IDisposable
{
    private readonly Meter _meter = new("Outrigger.Test." + Guid.NewGuid().ToString("N"));
    private readonly MetricsCollector _collector;

    public PrometheusTextWriterTests() => _collector = new MetricsCollector(m => m == _meter);

    public void Dispose()
    {
        _collector.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public void Counter_GetsTotalSuffix_AndLabelValuesAreEscaped()
    {
        var counter = _meter.CreateCounter<long>("requests", description: "Requests\nseen \\ counted.");
        counter.Add(2, new KeyValuePair<string, object?>("path", "a\"b\\c\nd"), new KeyValuePair<string, object?>("code", 200));
        counter.Add(3, new KeyValuePair<string, object?>("code", 200), new KeyValuePair<string, object?>("path", "a\"b\\c\nd"));

        var text = PrometheusTextWriter.Write(_collector.Snapshot());

        Assert.Equal(
            "# HELP requests_total Requests\\nseen \\\\ counted.\n" +
            "# TYPE requests_total counter\n" +
            "requests_total{code=\"200\",path=\"a\\\"b\\\\c\\nd\"} 5\n",
            text);
    }

    [Fact]
    public void Histogram_WritesCumulativeBuckets_InfSumAndCount()
    {
        var histogram = _meter.CreateHistogram<double>("latency", "s", "Latency.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        histogram.Record(0.05);
        histogram.Record(0.1);
        histogram.Record(0.5);
        histogram.Record(7);

        var text = PrometheusTextWriter.Write(_collector.Snapshot());

        Assert.Equal(
            "# HELP latency Latency.\n" +
            "# TYPE latency histogram\n" +
            "latency_bucket{le=\"0.1\"} 2\n" +
            "latency_bucket{le=\"1\"} 3\n" +
            "latency_bucket{le=\"+Inf\"} 4\n" +
            "latency_sum 7.65\n" +
            "latency_count 4\n",
            text);
    }

    [Fact]
    public void DottedName_IsConverted_WithUnitSuffix_AndObservableGaugeReportsLatest()
    {
        var value = 1.0;
        _meter.CreateObservableGauge("my.memory.used", () => value, "By", "Memory.");
        value = 42;

        var text = PrometheusTextWriter.Write(_collector.Snapshot());

        Assert.Contains("# TYPE my_memory_used_bytes gauge\nmy_memory_used_bytes 42\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Gauge_EndingInCount_IsRenamed()
    {
        _meter.CreateObservableGauge("my.assembly.count", () => 7);

        var text = PrometheusTextWriter.Write(_collector.Snapshot());

        Assert.Contains("# TYPE my_assembly_number gauge\nmy_assembly_number 7\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void UpDownCounter_IsGauge_WithRunningSum()
    {
        var active = _meter.CreateUpDownCounter<int>("active_connections");
        active.Add(3);
        active.Add(-1);

        var text = PrometheusTextWriter.Write(_collector.Snapshot());

        Assert.Contains("# TYPE active_connections gauge\nactive_connections 2\n", text, StringComparison.Ordinal);
    }
}
