using Outrigger.Proxy.AccessLog;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Policies;
using Outrigger.Proxy.Routing;

namespace Outrigger.Proxy.Reload;

/// <summary>
/// One generation of the proxy's configuration at run time: what a request needs, read once when it starts. A reload
/// builds the next generation and swaps it in whole.
/// </summary>
internal sealed class ProxyRuntime(long generation, ProxyOptions options, RouteTable routes, HttpForwarder forwarder, RoutePolicies policies, AccessLogWriter? accessLog)
{
    /// <summary>1 for the configuration the proxy started with, then one more per applied reload.</summary>
    public long Generation { get; } = generation;

    public ProxyOptions Options { get; } = options;

    public RouteTable Routes { get; } = routes;

    public HttpForwarder Forwarder { get; } = forwarder;

    /// <summary>What the routes' policies share (rate limiters, the authenticator); disposed when the generation is retired.</summary>
    public RoutePolicies Policies { get; } = policies;

    /// <summary>Where access log lines go; null when access logging is off.</summary>
    public AccessLogWriter? AccessLog { get; } = accessLog;

    /// <summary>
    /// Whether the direct path serves every route (what its HTTP/2 engine needs, asked for each new stream): decided on
    /// first use, once the routes' policies are attached, and kept for the generation.
    /// </summary>
    public bool AllRoutesServedDirectly => _allRoutesServedDirectly ??= AllServedDirectly(Routes.Routes);

    private bool? _allRoutesServedDirectly;

    private static bool AllServedDirectly(IReadOnlyList<CompiledRoute> routes)
    {
        foreach (var route in routes)
        {
            if (!route.ServedDirectly)
            {
                return false;
            }
        }

        return true;
    }
}
