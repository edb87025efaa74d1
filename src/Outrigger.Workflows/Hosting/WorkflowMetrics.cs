using System.Diagnostics.Metrics;
using Outrigger.Core.Telemetry;

namespace Outrigger.Workflows.Hosting;

/// <summary>The workflows module's instruments (meter <c>Outrigger.Workflows</c>); see docs/workflows.md.</summary>
internal static class WorkflowMetrics
{
    public static readonly Meter Meter = OutriggerTelemetry.CreateMeter("Workflows");

    public static readonly Counter<long> Started = Meter.CreateCounter<long>("workflows_started_total", description: "Workflow instances started through this node.");

    public static readonly Counter<long> Completed = Meter.CreateCounter<long>("workflows_completed_total", description: "Workflows whose success this node recorded.");

    public static readonly Counter<long> Failed = Meter.CreateCounter<long>("workflows_failed_total", description: "Workflows whose failure this node recorded.");

    public static readonly Counter<long> Cancelled = Meter.CreateCounter<long>("workflows_cancelled_total", description: "Workflows cancelled through this node.");

    public static readonly Histogram<double> CheckpointCommit = Meter.CreateLatencyHistogram(
        "workflow_checkpoint_commit_seconds", "Time from an owner app's checkpoint proposal to the committed checkpoint reaching this node.");

    public static readonly UpDownCounter<long> Active = Meter.CreateUpDownCounter<long>("workflows_active", description: "Unfinished workflows this node replicates.");

    public static readonly UpDownCounter<long> AppStreams = Meter.CreateUpDownCounter<long>("workflow_app_streams", description: "Connected app streams.");
}
