using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using Outrigger.Discovery;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Metrics;
using Outrigger.Proxy.Upstream;
using Outrigger.Proxy.Upstream.Http1;

namespace Outrigger.Proxy.Clusters;

/// <summary>
/// Builds the pooled clients of one endpoint: our <see cref="Http1Client"/> for HTTP/1.1 (and every upgrade), and for
/// HTTP/2 clusters a <see cref="SocketsHttpHandler"/> that never follows redirects, decompresses, keeps cookies or uses
/// a system proxy, whose connections have Nagle off and are counted. docs/upstream-client.md.
/// </summary>
internal static class EndpointClientFactory
{
    public static EndpointState CreateEndpoint(ClusterOptions cluster, DiscoveredEndpoint endpoint, TimeProvider time)
    {
        var latency = new LatencyEwma(time, cluster.LoadBalancing.EwmaDecay);
        var pool = cluster.Pool;
        var http1 = new Http1Client(new Http1ClientOptions(endpoint.Host, endpoint.Port, TlsOptions(cluster, endpoint), pool.ConnectTimeout,
            pool.IdleTimeout, pool.MaxConnectionsPerEndpoint, pool.Expect100ContinueTimeout, cluster.Name, time));
        if (cluster.Protocol == UpstreamProtocol.Http1)
        {
            return new EndpointState(endpoint, http1, null, latency);
        }

        var baseUrl = (cluster.Tls is null ? "http://" : "https://") + endpoint.Authority;
        return new EndpointState(endpoint, new HttpHandlerClient(CreateInvoker(cluster, endpoint), baseUrl), http1, latency);
    }

    private static SslClientAuthenticationOptions? TlsOptions(ClusterOptions cluster, DiscoveredEndpoint endpoint) => cluster.Tls is not { } tls ? null : new()
    {
        TargetHost = tls.ServerName ?? endpoint.Host,
        RemoteCertificateValidationCallback = tls.InsecureSkipVerify ? static (_, _, _, _) => true : tls.Pinning.Validator(),
        ClientCertificates = tls.Pinning.ClientCertificates(),
    };

    private static HttpMessageInvoker CreateInvoker(ClusterOptions cluster, DiscoveredEndpoint endpoint)
    {
        var tag = ProxyMetrics.ClusterTag(cluster.Name);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
            ConnectTimeout = cluster.Pool.ConnectTimeout,
            PooledConnectionIdleTimeout = cluster.Pool.IdleTimeout,
            Expect100ContinueTimeout = cluster.Pool.Expect100ContinueTimeout,
            ConnectCallback = (context, token) => ConnectAsync(context, tag, token),
        };
        if (cluster.Pool.MaxConnectionsPerEndpoint > 0)
        {
            handler.MaxConnectionsPerServer = cluster.Pool.MaxConnectionsPerEndpoint;
        }

        if (TlsOptions(cluster, endpoint) is { } tls)
        {
            handler.SslOptions = tls;
        }

        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, KeyValuePair<string, object?> tag, CancellationToken token)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, token).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            ProxyMetrics.ConnectFailures.Add(1, tag);
            throw;
        }

        ProxyMetrics.ConnectionsOpened.Add(1, tag);
        ProxyMetrics.ConnectionsActive.Add(1, tag);
        return new CountedNetworkStream(socket, tag);
    }

    /// <summary>A socket stream that decrements <c>upstream_cx_active</c> once when closed.</summary>
    private sealed class CountedNetworkStream(Socket socket, KeyValuePair<string, object?> tag) : NetworkStream(socket, ownsSocket: true)
    {
        private int _closed;

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                ProxyMetrics.ConnectionsActive.Add(-1, new TagList { tag });
            }

            base.Dispose(disposing);
        }
    }
}
