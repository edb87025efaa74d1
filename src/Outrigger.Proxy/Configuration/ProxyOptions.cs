using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Outrigger.Proxy.Configuration;

/// <summary>Everything the proxy module was configured with, validated.</summary>
internal sealed record ProxyOptions(
    ListenerOptions Listener,
    LimitsOptions Limits,
    ForwardingOptions Forwarding,
    IReadOnlyList<RouteOptions> Routes,
    IReadOnlyList<ClusterOptions> Clusters,
    Resilience.CircuitBreakerOptions CircuitBreaker)
{
    /// <summary>Spec 002's <c>security</c> section (global rate limit, authentication, authorization, CORS).</summary>
    public Security.SecurityOptions Security { get; init; } = Outrigger.Proxy.Security.SecurityOptions.None;

    /// <summary><c>proxy.access_log</c>.</summary>
    public Outrigger.Proxy.AccessLog.AccessLogOptions AccessLog { get; init; } = Outrigger.Proxy.AccessLog.AccessLogOptions.Disabled;

    /// <summary><c>proxy.tracing</c>.</summary>
    public Outrigger.Proxy.Tracing.TracingOptions Tracing { get; init; } = Outrigger.Proxy.Tracing.TracingOptions.Default;

    /// <summary><c>proxy.hot_reload</c>.</summary>
    public Reload.ReloadOptions HotReload { get; init; } = Reload.ReloadOptions.Default;
}

/// <summary>The downstream listener.</summary>
internal sealed record ListenerOptions(string Address, HttpProtocols Protocols, TlsListenerOptions? Tls)
{
    /// <summary>
    /// Whether cleartext HTTP/1.1 requests that need nothing Kestrel-specific are served by the direct path (default true;
    /// ignored with TLS or when HTTP/1.1 is not accepted).
    /// </summary>
    public bool DirectPath { get; init; } = true;

    /// <summary>
    /// With <see cref="DirectPath"/>: prior-knowledge h2c connections are served by Outrigger's own HTTP/2 engine when
    /// every route is one the direct path serves (docs/direct-http2.md). Default true. false: Kestrel serves them — what
    /// WebSocket over HTTP/2 (RFC 8441 extended CONNECT) needs; without it, clients open WebSockets over HTTP/1.1.
    /// </summary>
    public bool DirectHttp2 { get; init; } = true;
}

/// <summary>A certificate and key (PEM) for TLS on the listener; ALPN then offers h2 and http/1.1.</summary>
internal sealed record TlsListenerOptions(string CertificateFile, string KeyFile)
{
    /// <summary>Certificate reload and mTLS (client certificate verification).</summary>
    public Tls.TlsTerminationOptions Termination { get; init; } = Tls.TlsTerminationOptions.Default;
}

/// <summary>Limits that protect the proxy from bad or hostile clients. Zero means "no limit" where noted.</summary>
internal sealed record LimitsOptions(
    long MaxConnections,
    int MaxRequestHeaderBytes,
    int MaxRequestLineBytes,
    int MaxRequestHeaders,
    long MaxRequestBodyBytes,
    TimeSpan RequestHeadersTimeout,
    TimeSpan KeepAliveTimeout,
    double MinRequestBodyBytesPerSecond,
    TimeSpan MinRequestBodyGracePeriod);

/// <summary>What the forwarder adds to or keeps from the client's request.</summary>
internal sealed record ForwardingOptions(bool XForwarded, bool Via, string RequestIdHeader, bool PreserveHost);
