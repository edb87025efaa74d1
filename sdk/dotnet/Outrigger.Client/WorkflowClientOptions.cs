using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Outrigger.Client;

/// <summary>Options of a <see cref="WorkflowClient"/>.</summary>
public sealed class WorkflowClientOptions
{
    /// <summary>How often the app sends a heartbeat (default 5 s). The sidecar closes a stream silent for its <c>app_timeout_seconds</c> (30 s).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>With nothing from the sidecar for this long (default 15 s), the connection is dropped and made again.</summary>
    public TimeSpan SidecarTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>First delay before reconnecting (default 100 ms); doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest delay between reconnection attempts (default 2 s).</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest checkpoint value or result the SDK sends (default 1 MiB, the sidecar's default limit).</summary>
    public int MaxCheckpointBytes { get; set; } = 1 << 20;

    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
