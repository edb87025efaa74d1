using System.Diagnostics.Metrics;
using Outrigger.Core.Telemetry;

namespace Outrigger.Coordination;

/// <summary>The coordination store's instruments (meter <c>Outrigger.Coordination</c>).</summary>
internal static class CoordinationMetrics
{
    public static readonly Meter Meter = OutriggerTelemetry.CreateMeter("Coordination");

    public static readonly Histogram<double> FsyncDuration = Meter.CreateLatencyHistogram(
        "coordination_wal_fsync_duration_seconds", "Time to write and fsync one group commit of the embedded store's log");

    public static readonly Histogram<int> CommitBatchSize = Meter.CreateHistogram<int>(
        "coordination_commit_batch_size", "{request}", "Write requests made durable by one fsync of the embedded store's log",
        tags: null, new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024] });
}
