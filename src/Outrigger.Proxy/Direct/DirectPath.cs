using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Reload;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Tracing;

namespace Outrigger.Proxy.Direct;

/// <summary>
/// Which requests the direct path serves itself (docs/direct-path.md); the others, and their connections, go to Kestrel.
/// A configuration generation qualifies when it writes no access log and records no spans; a route, when it has no
/// policy (authentication, authorization, CORS, rate limits, retries, breaker), its cluster speaks HTTP/1.1 without TLS
/// and balances without reading the request (no hashing, no affinity cookie).
/// </summary>
internal static class DirectPath
{
    public static bool Serves(ProxyRuntime runtime) =>
        runtime.AccessLog is null && !(runtime.Options.Tracing.Spans && ProxyTracing.Source.HasListeners());

    /// <summary>
    /// Whether prior-knowledge h2c connections are served directly (docs/direct-http2.md): a connection's streams cannot
    /// be handed over one by one, so every route must be one the direct path serves.
    /// </summary>
    public static bool ServesHttp2(ProxyRuntime runtime)
    {
        var listener = runtime.Options.Listener;
        return listener.DirectHttp2 && listener.Protocols.HasFlag(Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2)
            && Serves(runtime) && runtime.AllRoutesServedDirectly;
    }

    public static bool Serves(CompiledRoute route)
    {
        var cluster = route.Cluster.Options;
        return route.Policy is null && cluster.Protocol == UpstreamProtocol.Http1 && cluster.Tls is null
            && !cluster.LoadBalancing.StickySessions
            && cluster.LoadBalancing.Algorithm is not (LoadBalancingAlgorithm.ConsistentHash or LoadBalancingAlgorithm.Maglev);
    }
}
