using System.Net.Security;

namespace Outrigger.Proxy.Upstream.Http1;

/// <summary>How <see cref="Http1Client"/> reaches one endpoint and manages its connections.</summary>
/// <param name="Host">Host name or IP literal to connect to.</param>
/// <param name="Port">TCP port.</param>
/// <param name="Tls">TLS client options (target host, validation callback, client certificates) for an https endpoint; null for cleartext.</param>
/// <param name="ConnectTimeout">Limit for TCP connect plus TLS handshake.</param>
/// <param name="IdleTimeout">An idle pooled connection older than this is closed.</param>
/// <param name="MaxConnections">Open connections allowed at once (0: no limit); further requests wait for one.</param>
/// <param name="Expect100ContinueTimeout">How long to wait for <c>100 Continue</c> before sending the body anyway.</param>
/// <param name="Cluster">The cluster's name, for the <c>upstream_cx_*</c> metrics.</param>
/// <param name="Time">Clock for idle ages and timeouts.</param>
internal sealed record Http1ClientOptions(
    string Host,
    int Port,
    SslClientAuthenticationOptions? Tls,
    TimeSpan ConnectTimeout,
    TimeSpan IdleTimeout,
    int MaxConnections,
    TimeSpan Expect100ContinueTimeout,
    string Cluster,
    TimeProvider Time)
{
    /// <summary>Largest response head (status line and header fields) accepted from the upstream.</summary>
    public int MaxResponseHeaderBytes { get; init; } = 64 * 1024;
}
