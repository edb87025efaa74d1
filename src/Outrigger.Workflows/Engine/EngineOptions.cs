using Outrigger.Workflows.Store;

namespace Outrigger.Workflows.Engine;

/// <summary>Settings of one node's workflow engine (read from the <c>workflows</c> section).</summary>
internal sealed record EngineOptions
{
    /// <summary>This node's id: stable across restarts, unique in the cluster.</summary>
    public required string NodeId { get; init; }

    /// <summary>The node port as other nodes and clients reach it (recorded in the node record).</summary>
    public string Address { get; init; } = string.Empty;

    public string PodIp { get; init; } = string.Empty;

    public string PodNamespace { get; init; } = string.Empty;

    /// <summary>Replicas per workflow (the owner plus standbys), among eligible nodes.</summary>
    public int Replicas { get; init; } = 3;

    public int MaxCheckpointBytes { get; init; } = 1 << 20;

    public int MaxInputBytes { get; init; } = 1 << 20;

    /// <summary>An app stream that sends nothing for this long is closed and its workflows reassigned.</summary>
    public TimeSpan AppTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an owner with no app for a workflow keeps it before releasing it to another replica that has one.</summary>
    public TimeSpan AppGrace { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>TTL of the node lease; ownership of a dead node's workflows moves after about this long.</summary>
    public TimeSpan NodeTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Delay per rank before a standby claims a workflow that has no owner (rank 0 claims at once).</summary>
    public TimeSpan ClaimStagger { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often timeouts, claims and releases are checked.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    public string Root { get; init; } = StoreLayout.DefaultRoot;
}
