namespace Outrigger.Discovery;

/// <summary>
/// A source of the endpoints of one service. Static configuration, DNS and (later) Kubernetes, etcd and Consul
/// implement it; the consumer does not care which.
/// </summary>
public interface IServiceDiscovery
{
    /// <summary>What is being watched, for logs and the admin API (e.g. <c>dns:api.default.svc:8080</c>).</summary>
    string Description { get; }

    /// <summary>
    /// Yields the complete endpoint set now and again every time it changes, until <paramref name="cancellationToken"/>
    /// fires. A provider that cannot reach its source keeps the last set (and logs) rather than yielding an empty one.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<DiscoveredEndpoint>> WatchAsync(CancellationToken cancellationToken);
}
