using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Outrigger.Core.Telemetry;

/// <summary>
/// The telemetry convention shared by every module. Each module owns one <see cref="Meter"/> and one
/// <see cref="ActivitySource"/> named <c>Outrigger.{Module}</c> (e.g. <c>Outrigger.Proxy</c>), created once in a
/// static class of the module. Instrument names are the Prometheus names the specs use
/// (<c>proxy_requests_total</c>, <c>batch_size</c>); durations are histograms in seconds with explicit bucket
/// advice. The admin <c>/metrics</c> endpoint and the OTLP exporter pick up every meter with this prefix.
/// </summary>
public static class OutriggerTelemetry
{
    public const string Prefix = "Outrigger";

    /// <summary>Default bucket boundaries for latency histograms, in seconds (Prometheus' defaults plus sub-millisecond).</summary>
    public static IReadOnlyList<double> LatencyBuckets { get; } =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public static Meter CreateMeter(string module) => new($"{Prefix}.{module}", ThisAssembly.Version);

    public static ActivitySource CreateActivitySource(string module) => new($"{Prefix}.{module}", ThisAssembly.Version);

    /// <summary>A latency histogram in seconds with <see cref="LatencyBuckets"/>.</summary>
    public static Histogram<double> CreateLatencyHistogram(this Meter meter, string name, string description) =>
        meter.CreateHistogram(name, "s", description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

    private static class ThisAssembly
    {
        public static readonly string Version = typeof(OutriggerTelemetry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    }
}
