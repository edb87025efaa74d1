namespace Outrigger.Grpc.Client;

/// <summary>Per-call options.</summary>
/// <param name="Headers">Request metadata.</param>
/// <param name="Deadline">When the call must be done (UTC). Sent as <c>grpc-timeout</c>; when it passes the call fails with DEADLINE_EXCEEDED.</param>
/// <param name="CancellationToken">Cancels the call (RST_STREAM to the server); the call fails with CANCELLED.</param>
public readonly record struct CallOptions(Metadata? Headers = null, DateTime? Deadline = null, CancellationToken CancellationToken = default)
{
    /// <summary>A relative deadline measured on the channel's <see cref="GrpcChannelOptions.TimeProvider"/>; used when <see cref="Deadline"/> is null.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Options of the request messages (e.g. <see cref="WriteFlags.NoCompress"/>).</summary>
    public WriteOptions? WriteOptions { get; init; }

    /// <summary>Compression of the request messages (<c>"gzip"</c>); null uses the channel's <see cref="GrpcChannelOptions.CompressionAlgorithm"/>.</summary>
    public string? CompressionAlgorithm { get; init; }
}
